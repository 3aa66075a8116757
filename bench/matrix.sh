#!/usr/bin/env bash
# A results matrix in one command: builds what matrices/NAME.toml still lacks, then benches every
# build of it with one workload (worker-pool by default: one worker, pinned to one CPU, network
# off, interleaved rounds) against the docker-library flags on 3.13, and writes the report.
#
# Usage: bench/matrix.sh NAME [--only BUILD]... [--no-build] [--workload W] [-- PYMATRIX-BENCH-OPTIONS...]
#   NAME           seed (matrices/seed.toml) or toolchains (matrices/toolchains.toml)
#   --only BUILD   build and bench only these builds (repeatable; the baseline is always added)
#   --no-build     bench the images that are there; a missing one is an error (exit 5)
#   --workload W   the bundled workload to bench (default worker-pool; kernels shows what
#                  happens off a PGO training's path)
# Environment: PYMATRIX (default: build/cli/pymatrix), BENCH_OUT (default: bench/NAME),
#   REPEAT (default 7 measured runs per image), DURATION (default 20 s per run).
# Writes: $BENCH_OUT/NAME.md (NAME-kernels.md for kernels) with one SVG per metric beside it
# (pymatrix bench --report), the whole result as the .json of the same name, and one
# `pymatrix build --metadata-file` document per build run in $BENCH_OUT/builds/ (every one of
# them is given to the bench: the build times).
# Time: on 2 cores a regrtest-trained PGO+LTO build took 25-42 min with two running side by side
# on an otherwise idle machine (2026-12-01; 61-77 min on a shared one), a workload-trained one
# about half that, a plain build 5-7 min, a packaged python 2 min. The bench takes about
# (REPEAT + 1) x (DURATION + 1) s per image: 8 images, 7 x 20 s: 23 min; 13: about 36 min.
# Keep the machine otherwise quiet while it benches. Exit: pymatrix's (0 ok, 1-5 see README).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# the dockerd of scripts/setup-engine.sh has no bridge network (--bridge=none: no iptables here),
# so RUN steps reach Debian's mirror through the host's network (pymatrix build --network)
export PYMATRIX_NETWORK=${PYMATRIX_NETWORK:-host}
PYMATRIX=${PYMATRIX:-$REPO/build/cli/pymatrix}
REPEAT=${REPEAT:-7}
DURATION=${DURATION:-20}
BASELINE=3.13-docker-library
usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; }

case ${1:-} in
    seed|toolchains) NAME=$1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "bench/matrix.sh: the first argument names the matrix: seed or toolchains (try --help)" >&2; exit 2 ;;
esac
MATRIX=$REPO/matrices/$NAME.toml
OUT=${BENCH_OUT:-$REPO/bench/$NAME}

only=() build=1 workload=worker-pool
while (($#)); do
    case $1 in
        --only) [[ $# -ge 2 ]] || { echo "bench/matrix.sh: --only needs a build name" >&2; exit 2; }
                only+=(--only "$2"); shift 2 ;;
        --no-build) build=0; shift ;;
        --workload) [[ $# -ge 2 ]] || { echo "bench/matrix.sh: --workload needs a name" >&2; exit 2; }
                workload=$2; shift 2 ;;
        --) shift; break ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench/matrix.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
done
report=$NAME
[[ $workload == worker-pool ]] || report=$NAME-$workload
if ((${#only[@]})) && [[ " ${only[*]} " != *" $BASELINE "* ]]; then only=(--only "$BASELINE" "${only[@]}"); fi

mkdir -p "$OUT/builds"
trap 'rm -f "$OUT/$report.json.tmp"' EXIT
if ((build)); then
    "$PYMATRIX" build "$MATRIX" "${only[@]}" --progress plain \
        --metadata-file "$OUT/builds/$(date -u +%Y%m%dT%H%M%SZ).json"
fi
metadata=()
for f in "$OUT"/builds/*.json; do [[ -e $f ]] && metadata+=(--metadata-file "$f"); done

"$PYMATRIX" bench "$MATRIX" "${only[@]}" --baseline "$BASELINE" --workload "$workload" \
    --env PYMATRIX_BENCH_WORKERS=1 --repeat "$REPEAT" --duration "$DURATION" "${metadata[@]}" \
    --report "$OUT/$report.md" --format json "$@" >"$OUT/$report.json.tmp"
mv "$OUT/$report.json.tmp" "$OUT/$report.json"
sed -n '/^| image | python/,/^$/p' "$OUT/$report.md"
echo "bench/matrix.sh: report in $OUT/$report.md, every run in $OUT/$report.json"
