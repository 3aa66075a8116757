#!/usr/bin/env bash
# Configures ONE clang build directory, ${PYMATRIX_SAN_BUILD_DIR:-<repo>/build-san}, whose every
# object (library included) is compiled once with AddressSanitizer (+LeakSanitizer),
# UndefinedBehaviorSanitizer and libFuzzer's coverage instrumentation (-fsanitize=fuzzer-no-link),
# and builds the targets given: pymatrix_unit (the unit tests, linked without libFuzzer) and
# fuzz_profile_loader / fuzz_cpuinfo (linked with -fsanitize=fuzzer). scripts/sanitize.sh and
# scripts/fuzz.sh both call it, so running both compiles the library once.
#
# Usage: scripts/san-build.sh TARGET...
# Environment:
#   PYMATRIX_SAN_BUILD_DIR  build directory (default: <repo>/build-san)
#   PYMATRIX_SAN_JOBS       parallel compile jobs (default: nproc)
# Needs clang and libclang-rt-14-dev (scripts/setup-engine.sh installs them). Exit 2 when clang
# is missing or no target is given, else cmake's exit status.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${PYMATRIX_SAN_BUILD_DIR:-$REPO/build-san}
JOBS=${PYMATRIX_SAN_JOBS:-$(nproc)}
[[ $# -gt 0 ]] || { echo "san-build.sh: give the targets to build (pymatrix_unit fuzz_profile_loader fuzz_cpuinfo)" >&2; exit 2; }
command -v clang++ >/dev/null || { echo "san-build.sh: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }

start=$SECONDS
# -O1 (as OSS-Fuzz builds): the fuzzers run several times faster than at -O0.
# -gline-tables-only instead of -g: stack traces keep file:line, and the objects compile faster.
# Debug build type without its -g: no -DNDEBUG, so assertions stay on.
# -D_GLIBCXX_ASSERTIONS: bounds checks in libstdc++ (operator[], front(), ...) abort too.
FLAGS="-O1 -gline-tables-only -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
FLAGS+=" -fno-omit-frame-pointer -D_GLIBCXX_ASSERTIONS"
echo "==> configure $BUILD (clang++, $FLAGS)"
CC=clang CXX=clang++ cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG= \
  -DPYMATRIX_FUZZ=ON -DPYMATRIX_BUILD_TESTS=ON -DCMAKE_CXX_FLAGS="$FLAGS" >/dev/null
echo "==> build $*"
cmake --build "$BUILD" -j"$JOBS" --target "$@"
echo "    built $* in $((SECONDS - start)) s"
