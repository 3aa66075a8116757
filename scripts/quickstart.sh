#!/usr/bin/env bash
# The quick start in one command: set up the engine and sources (idempotent), build pymatrix,
# then `pymatrix build matrices/quickstart.toml`: two real CPython 3.13.5 images in the local
# Docker engine, pymatrix/cpython:3.13.5-default and pymatrix/cpython:3.13.5-opt-v3.
# dockerd keeps running afterwards so the images can be used (scripts/stop-engine.sh stops it).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# the dockerd of scripts/setup-engine.sh has no bridge network (--bridge=none: no iptables here),
# so RUN steps reach Debian's mirror through the host's network (pymatrix build --network)
export PYMATRIX_NETWORK=${PYMATRIX_NETWORK:-host}
"$REPO/scripts/setup-engine.sh"
"$REPO/scripts/build-pymatrix.sh"
cd "$REPO"
exec "${PYMATRIX_BUILD_DIR:-$REPO/build}/cli/pymatrix" build matrices/quickstart.toml "$@"
