#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang, ASan and UBSan in the build directory
# scripts/sanitize.sh uses too (scripts/san-build.sh: ${PYMATRIX_SAN_BUILD_DIR:-build-san}, the
# library compiled once for both) and runs each for a bounded time on a copy of its
# committed seed corpus (fuzz/corpus/<name> for fuzz_<name>; the committed corpus never
# grows), printing libFuzzer's final "#N DONE ... exec/s" line per target. Exits 1 when a
# fuzzer finds a crash, a sanitizer report, a leak, a broken invariant, a slow input
# (-timeout=10 s) or an out-of-memory (-rss_limit_mb=2048); the reproducer is kept in
# <build>/artifacts/<target>/ and printed as hex. See fuzz/README.md.
#
# Usage: scripts/fuzz.sh [SECONDS_PER_TARGET]   (default 60)
# Environment:
#   PYMATRIX_SAN_BUILD_DIR   build directory (default: <repo>/build-san)
#   PYMATRIX_FUZZ_TARGETS    targets to run (default: "fuzz_profile_loader fuzz_cpuinfo")
# Needs clang and libFuzzer (Debian 12: clang, libclang-rt-14-dev; scripts/setup-engine.sh).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PYMATRIX_SAN_BUILD_DIR=${PYMATRIX_SAN_BUILD_DIR:-$REPO/build-san}
BUILD=$PYMATRIX_SAN_BUILD_DIR
SECS=${1:-60}
TARGETS=(${PYMATRIX_FUZZ_TARGETS:-fuzz_profile_loader fuzz_cpuinfo})

[[ $SECS =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: SECONDS_PER_TARGET must be a positive integer, got '$SECS'" >&2; exit 2; }

SECONDS=0
"$REPO/scripts/san-build.sh" "${TARGETS[@]}"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

failed=()
summary=()
for t in "${TARGETS[@]}"; do
  seeds=$REPO/fuzz/corpus/${t#fuzz_}   # fuzz_cpuinfo -> fuzz/corpus/cpuinfo
  corpus=$BUILD/corpus-run/$t
  artifacts=$BUILD/artifacts/$t
  log=$BUILD/$t.log
  rm -rf "$corpus" "$artifacts"
  mkdir -p "$corpus" "$artifacts"
  # A copy of the committed seeds, without the corpus README/licence files.
  find "$seeds" -maxdepth 1 -type f ! -name 'README*' ! -name 'LICENSE*' \
    -exec cp -t "$corpus" {} +
  args=(-max_total_time="$SECS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$artifacts/")
  [[ $t == fuzz_profile_loader ]] && args+=(-dict="$REPO/fuzz/toml.dict")
  echo "==> $t: ${SECS} s on a copy of fuzz/corpus/${t#fuzz_} ($(ls "$corpus" | wc -l) seeds); log: $log"
  rc=0
  "$BUILD/fuzz/$t" "${args[@]}" "$corpus" >"$log" 2>&1 || rc=$?
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n1 || true)
  execs=$(grep -E '^stat::number_of_executed_units:' "$log" | awk '{print $2}' || true)
  if [[ $rc -ne 0 ]]; then
    failed+=("$t")
    echo "!!! $t: exit $rc"
    grep -E '^(==[0-9]+==ERROR|SUMMARY|terminate called|  what\(\)|.*runtime error|.*invariant failed|.*deadly signal|.*Test unit written|.*ALARM|.*out-of-memory)' "$log" | head -n 20 || true
    grep -E '^    #[0-9]+ ' "$log" | head -n 30 || true
    for a in "$artifacts"/*; do
      [[ -f $a ]] || continue
      echo "--- reproducer $a ($(stat -c %s "$a") bytes); rerun: $BUILD/fuzz/$t $a"
      od -A x -t x1z -v "$a" | head -n 40
    done
    summary+=("$t: FAILED (exit $rc) after ${execs:-?} executions; see $log")
  else
    echo "    $done_line"
    summary+=("$t: ${execs:-?} executions, ok -- ${done_line:-no DONE line}")
  fi
done

echo "==> summary (${SECS} s per target, total $SECONDS s)"
for s in "${summary[@]}"; do echo "    $s"; done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz.sh: findings in: ${failed[*]}" >&2
  exit 1
fi
