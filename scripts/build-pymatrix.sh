#!/usr/bin/env bash
# Configures and builds pymatrix (CMake, Release with debug info) into ${PYMATRIX_BUILD_DIR:-build}.
# Needs the -dev packages that scripts/setup-engine.sh installs.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${PYMATRIX_BUILD_DIR:-$REPO/build}
cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" -j"$(nproc)"
