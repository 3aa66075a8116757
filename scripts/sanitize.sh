#!/usr/bin/env bash
# Builds the unit tests (pymatrix_unit, with the library) under AddressSanitizer, LeakSanitizer
# and UndefinedBehaviorSanitizer into ${PYMATRIX_ASAN_BUILD_DIR:-build-asan} and runs them.
# Exits non-zero on a failing test or on any sanitizer report (UBSan does not recover; ASan and
# LSan end the process with an error). The tests read the CPython tarballs in sources/
# (scripts/setup-engine.sh fetches them) and ../shared/fixtures.
#
# Usage: scripts/sanitize.sh [doctest options, e.g. -tc="profile*"]
# Environment:
#   PYMATRIX_ASAN_BUILD_DIR  build directory (default: <repo>/build-asan)
#   CC, CXX                  compiler (default: gcc, g++; clang/clang++ work too)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${PYMATRIX_ASAN_BUILD_DIR:-$REPO/build-asan}
export CC=${CC:-gcc} CXX=${CXX:-g++}

SECONDS=0
echo "==> configure $BUILD ($CXX, -fsanitize=address,undefined)"
# Debug (-g, no -O): -O0 compiles twice as fast as -O1 under the sanitizers, and the tests
# run in seconds either way.
# -Wno-maybe-uninitialized: gcc 12 with -fsanitize warns falsely inside libstdc++'s <regex>.
# -D_GLIBCXX_ASSERTIONS: bounds checks in libstdc++ (operator[], front(), ...) abort too.
cmake -S "$REPO" -B "$BUILD" -DCMAKE_BUILD_TYPE=Debug -DPYMATRIX_BUILD_TESTS=ON \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined -D_GLIBCXX_ASSERTIONS -Wno-maybe-uninitialized" >/dev/null
echo "==> build pymatrix_unit"
cmake --build "$BUILD" -j"$(nproc)" --target pymatrix_unit
echo "    built in $SECONDS s"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "==> run pymatrix_unit (ASAN_OPTIONS=$ASAN_OPTIONS UBSAN_OPTIONS=$UBSAN_OPTIONS)"
start=$SECONDS
rc=0
(cd "$BUILD" && ./tests/unit/pymatrix_unit "$@") || rc=$?
echo "==> pymatrix_unit exit $rc (run $((SECONDS - start)) s, total $SECONDS s)"
exit $rc
