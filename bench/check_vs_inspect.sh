#!/usr/bin/env bash
# What `pymatrix check` costs over a bare `docker image inspect` of the same image, in one
# hyperfine run (goal: at most 1.2x). Usage: bench/check_vs_inspect.sh [IMAGE] [PYMATRIX]
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IMAGE=${1:-pymatrix/cpython:3.13.5-opt-v3}
PYMATRIX=${2:-$REPO/build/cli/pymatrix}
docker image inspect "$IMAGE" >/dev/null
hyperfine -N --warmup 5 --runs 40 --export-json /tmp/pymatrix-bench-check.json \
    "docker image inspect $IMAGE" \
    "$PYMATRIX check $IMAGE --target-level x86-64-v3"
jq -r '.results as $r | "ratio check/inspect (mean): \($r[1].mean / $r[0].mean | . * 1000 | round / 1000)x  (\($r[0].mean * 1000 | round) ms vs \($r[1].mean * 1000 | round) ms)"' \
    /tmp/pymatrix-bench-check.json
