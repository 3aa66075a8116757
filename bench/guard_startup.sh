#!/usr/bin/env bash
# The in-image ISA guard's start-up cost, measured inside the image (no docker run noise):
# 1000 execs of /bin/true directly vs through the guard, next to 100 starts of `python3 -c pass`.
# Then the whole `docker run` with and without the guard entrypoint, side by side (hyperfine).
# Usage: bench/guard_startup.sh [IMAGE]
set -euo pipefail
IMAGE=${1:-pymatrix/cpython:3.13.5-opt-v3}
docker run --rm --network=none --entrypoint /bin/sh "$IMAGE" -c '
  now() { date +%s%N; }
  t0=$(now); i=0; while [ $i -lt 1000 ]; do /bin/true; i=$((i+1)); done
  t1=$(now); i=0; while [ $i -lt 1000 ]; do /usr/local/bin/pymatrix-isa-guard /bin/true; i=$((i+1)); done
  t2=$(now); i=0; while [ $i -lt 100 ]; do python3 -c pass; i=$((i+1)); done
  t3=$(now)
  direct=$(( (t1 - t0) / 1000 )); guarded=$(( (t2 - t1) / 1000 )); py=$(( (t3 - t2) / 100 ))
  echo "exec /bin/true: ${direct} ns; through the guard: ${guarded} ns; guard cost: $((guarded - direct)) ns per start"
  echo "python3 -c pass: ${py} ns per start; the guard adds $(( (guarded - direct) * 1000 / py / 10 )).$(( (guarded - direct) * 1000 / py % 10 ))% to it"'
hyperfine -N --warmup 3 --runs 20 \
    "docker run --rm --network=none $IMAGE python3 -c pass" \
    "docker run --rm --network=none --entrypoint python3 $IMAGE -c pass"
