#!/usr/bin/env bash
# Builds the unit tests (pymatrix_unit, with the library) with clang under AddressSanitizer,
# LeakSanitizer and UndefinedBehaviorSanitizer in the build directory scripts/fuzz.sh uses too
# (scripts/san-build.sh: ${PYMATRIX_SAN_BUILD_DIR:-build-san}, compiled once for both), and runs
# them. Exits non-zero on a failing test or on any sanitizer report (UBSan does not recover; ASan
# and LSan end the process with an error). The tests read the CPython tarballs in sources/
# (scripts/setup-engine.sh fetches them) and tests/fixtures.
#
# Usage: scripts/sanitize.sh [doctest options, e.g. -tc="profile*"]
# Environment:
#   PYMATRIX_SAN_BUILD_DIR  build directory (default: <repo>/build-san)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PYMATRIX_SAN_BUILD_DIR=${PYMATRIX_SAN_BUILD_DIR:-$REPO/build-san}
BUILD=$PYMATRIX_SAN_BUILD_DIR

SECONDS=0
"$REPO/scripts/san-build.sh" pymatrix_unit

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "==> run pymatrix_unit (ASAN_OPTIONS=$ASAN_OPTIONS UBSAN_OPTIONS=$UBSAN_OPTIONS)"
start=$SECONDS
rc=0
(cd "$BUILD" && ./tests/unit/pymatrix_unit "$@") || rc=$?
echo "==> pymatrix_unit exit $rc (run $((SECONDS - start)) s, total $SECONDS s)"
exit $rc
