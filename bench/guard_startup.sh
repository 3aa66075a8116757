#!/usr/bin/env bash
# The ISA guard's start-up cost, measured inside the image (no `docker run` noise), side by side in
# one container: ROUNDS rounds, interleaved, each of N starts of `python3 -c pass` through the
# launcher that stands in for python3 (its CPU check against CPUINFO, then exec), through the
# launcher with PYMATRIX_SKIP_ISA_CHECK=1 (exec only), and of the bare interpreter behind it
# (/usr/local/libexec/pymatrix/python3); then 1000 execs of /bin/true directly and through
# pymatrix-isa-guard (the check alone). Prints the median per start of each and the CPU model.
# CPUINFO: a cpuinfo the image fits (default: the Zen fixture, since a VM's own cpuinfo may hide a
# flag of the image, `abm` on an AMD EPYC VM); pass /proc/cpuinfo to read the real one.
# Usage: bench/guard_startup.sh [IMAGE] [CPUINFO] [N] [ROUNDS]
set -euo pipefail
IMAGE=${1:-pymatrix/cpython:3.13.5-opt-v3}
CPUINFO=${2:-"$(cd "$(dirname "$0")/.." && pwd)/tests/fixtures/cpuinfo/linux-rhel7-zen"}
N=${3:-100}
ROUNDS=${4:-7}
mount=()
[[ $CPUINFO == /proc/cpuinfo ]] || mount=(-v "$CPUINFO:/tmp/cpuinfo:ro" -e PYMATRIX_CPUINFO=/tmp/cpuinfo)
echo "# $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(nproc) cores; image $IMAGE; cpuinfo $CPUINFO"
docker run --rm --network=none "${mount[@]}" -e N="$N" -e ROUNDS="$ROUNDS" --entrypoint /bin/sh "$IMAGE" -c '
  now() { date +%s%N; }
  pystarts() { t=$(now); i=0; while [ $i -lt $N ]; do "$@" -c pass || exit 9; i=$((i+1)); done; echo $(( ($(now) - t) / N )); }
  median() { sort -n | awk "{ v[NR] = \$1 } END { print v[int((NR + 1) / 2)] }"; }
  r=0; : >/tmp/launcher; : >/tmp/skip; : >/tmp/bare
  while [ $r -lt $ROUNDS ]; do
    pystarts /usr/local/bin/python3 >>/tmp/launcher
    PYMATRIX_SKIP_ISA_CHECK=1 pystarts /usr/local/bin/python3 >>/tmp/skip
    pystarts /usr/local/libexec/pymatrix/python3 >>/tmp/bare
    r=$((r+1))
  done
  true_direct() { t=$(now); i=0; while [ $i -lt 1000 ]; do /bin/true; i=$((i+1)); done; echo $(( ($(now) - t) / 1000 )); }
  true_guard() { t=$(now); i=0; while [ $i -lt 1000 ]; do /usr/local/bin/pymatrix-isa-guard /bin/true || exit 9; i=$((i+1)); done; echo $(( ($(now) - t) / 1000 )); }
  l=$(median </tmp/launcher); s=$(median </tmp/skip); b=$(median </tmp/bare)
  d=$(true_direct); g=$(true_guard)
  echo "python3 -c pass, median of $ROUNDS rounds of $N (ns per start):"
  echo "  bare interpreter                  $b"
  echo "  through the launcher (check)      $l   (+$((l - b)) ns, +$(( (l - b) * 1000 / b ))/1000)"
  echo "  through the launcher (skip)       $s   (+$((s - b)) ns)"
  echo "/bin/true, 1000 execs (ns per start): direct $d, through pymatrix-isa-guard $g (check + exec: +$((g - d)) ns)"
'
