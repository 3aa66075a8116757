#!/usr/bin/env bash
# The test run: set up the engine (idempotent), build pymatrix and its tests, run every test:
# doctest unit tests and the end-to-end tests against the real engine (ctest). Extra arguments
# go to ctest (e.g. -L e2e, -R unit). The first run builds CPython images (about 15 minutes on
# 2 cores); later runs reuse the build cache.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# the dockerd of scripts/setup-engine.sh has no bridge network (--bridge=none: no iptables here),
# so RUN steps reach Debian's mirror through the host's network (pymatrix build --network)
export PYMATRIX_NETWORK=${PYMATRIX_NETWORK:-host}
BUILD=${PYMATRIX_BUILD_DIR:-$REPO/build}
"$REPO/scripts/setup-engine.sh" --no-smoke
"$REPO/scripts/build-pymatrix.sh"
cd "$BUILD"
exec ctest --output-on-failure "$@"
