#!/usr/bin/env bash
# The seed investigation in one command: builds what matrices/seed.toml still lacks, then benches
# every build of it with the worker-pool workload (one worker, pinned to one CPU, network off,
# interleaved rounds) against the docker-library flags on 3.13, and writes the report.
#
# Usage: bench/seed.sh [--only BUILD]... [--no-build] [-- PYMATRIX-BENCH-OPTIONS...]
#   --only BUILD   build and bench only these builds (repeatable; the baseline is always added)
#   --no-build     bench the images that are there; a missing one is an error (exit 5)
# Environment: PYMATRIX (default: build/cli/pymatrix), SEED_OUT (default: bench/seed),
#   REPEAT (default 7 measured runs per image), DURATION (default 20 s per run).
# Writes: $SEED_OUT/seed.md with one SVG per metric beside it (pymatrix bench --report), the
# whole result as $SEED_OUT/seed.json, and one `pymatrix build --metadata-file` document per build
# run in $SEED_OUT/builds/ (every one of them is given to the bench: the build times).
# Time: 10 of the 13 builds are PGO builds; on 2 cores a PGO+LTO build took 25-42 min with two
# running side by side on an otherwise idle machine (2026-12-01; 61-77 min on a shared one), a
# plain build 5-7 min. The bench takes about (REPEAT + 1) x (DURATION + 1) s per image:
# 8 images, 7 x 20 s: 23 min; all 13: about 36 min.
# Keep the machine otherwise quiet while it benches. Exit: pymatrix's (0 ok, 1-5 see README).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# the dockerd of scripts/setup-engine.sh has no bridge network (--bridge=none: no iptables here),
# so RUN steps reach Debian's mirror through the host's network (pymatrix build --network)
export PYMATRIX_NETWORK=${PYMATRIX_NETWORK:-host}
PYMATRIX=${PYMATRIX:-$REPO/build/cli/pymatrix}
OUT=${SEED_OUT:-$REPO/bench/seed}
REPEAT=${REPEAT:-7}
DURATION=${DURATION:-20}
MATRIX=$REPO/matrices/seed.toml
BASELINE=3.13-docker-library

only=() build=1
while (($#)); do
    case $1 in
        --only) [[ $# -ge 2 ]] || { echo "bench/seed.sh: --only needs a build name" >&2; exit 2; }
                only+=(--only "$2"); shift 2 ;;
        --no-build) build=0; shift ;;
        --) shift; break ;;
        -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
        *) echo "bench/seed.sh: unknown argument: $1 (try --help)" >&2; exit 2 ;;
    esac
done
if ((${#only[@]})) && [[ " ${only[*]} " != *" $BASELINE "* ]]; then only=(--only "$BASELINE" "${only[@]}"); fi

mkdir -p "$OUT/builds"
trap 'rm -f "$OUT/seed.json.tmp"' EXIT
if ((build)); then
    "$PYMATRIX" build "$MATRIX" "${only[@]}" --progress plain \
        --metadata-file "$OUT/builds/$(date -u +%Y%m%dT%H%M%SZ).json"
fi
metadata=()
for f in "$OUT"/builds/*.json; do [[ -e $f ]] && metadata+=(--metadata-file "$f"); done

"$PYMATRIX" bench "$MATRIX" "${only[@]}" --baseline "$BASELINE" --env PYMATRIX_BENCH_WORKERS=1 \
    --repeat "$REPEAT" --duration "$DURATION" "${metadata[@]}" --report "$OUT/seed.md" --format json "$@" \
    >"$OUT/seed.json.tmp"
mv "$OUT/seed.json.tmp" "$OUT/seed.json"
sed -n '/^| image | python/,/^$/p' "$OUT/seed.md"
echo "bench/seed.sh: report in $OUT/seed.md, every run in $OUT/seed.json"
