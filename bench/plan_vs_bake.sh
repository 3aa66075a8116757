#!/usr/bin/env bash
# Planning a large matrix: `pymatrix plan --format json` against `docker buildx bake --print` on
# the equivalent docker-bake.hcl (a `matrix` attribute), both at 1,000 and 10,000 builds, in one
# run; peak memory (maximum resident set, /usr/bin/time -v) of plan at 10,000; and the second-run
# time of an unchanged matrix (`pymatrix build matrices/quickstart.toml`, every build cached).
#
# Usage: bench/plan_vs_bake.sh [PYMATRIX]       (results: stdout; work files: $BENCH_DIR)
# Environment: BENCH_DIR (default: a temporary directory, removed at exit), BAKE_RUNS_10K
# (default 2: bake --print of 10,000 targets takes minutes), SKIP_SECOND_RUN=1 (no engine needed).
# Matrix: python (3.13.5, 3.11.2: the real tarballs in sources/) x 10 profiles x N values of
# cflags_nodist (-DBENCH_<i>); N = 50 gives 1,000 builds, N = 500 gives 10,000.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PYMATRIX=${1:-$REPO/build/cli/pymatrix}
BAKE_RUNS_10K=${BAKE_RUNS_10K:-2}
if [[ -n ${BENCH_DIR:-} ]]; then
    mkdir -p "$BENCH_DIR"
else
    BENCH_DIR=$(mktemp -d)
    trap 'rm -rf "$BENCH_DIR"' EXIT
fi
SOURCES=$(cd "$REPO/sources" && pwd -P)
for f in Python-3.13.5.tar.xz Python-3.11.2.tgz; do
    [[ -f $SOURCES/$f ]] || { echo "bench: $SOURCES/$f missing (scripts/setup-engine.sh fetches it)" >&2; exit 5; }
done

# gen N DIR: DIR/matrix.toml and DIR/docker-bake.hcl with 2 x 10 x N builds
gen() {
    local n=$1 dir=$2 i
    mkdir -p "$dir"
    local values="" ids=""
    for ((i = 0; i < n; i++)); do
        ((i == 0)) || { values+=", "; ids+=", "; }
        values+="\"-DBENCH_$i\""
        ids+="\"$i\""
    done
    {
        cat <<EOF
[defaults]
repository = "bench/cpython"

[pythons."3.13"]
version = "3.13.5"
source = "$SOURCES/Python-3.13.5.tar.xz"
sha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"

[pythons."3.11"]
version = "3.11.2"
source = "$SOURCES/Python-3.11.2.tgz"
sha256 = "2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849"

EOF
        for ((i = 0; i < 10; i++)); do printf '[profiles.p%d]\nldflags_nodist = "-Wl,-O%d"\n\n' "$i" "$i"; done
        printf '[matrix]\npython = ["3.13", "3.11"]\nprofile = ["p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9"]\n'
        printf 'cflags_nodist = [%s]\n' "$values"
    } >"$dir/matrix.toml"
    # the same 2 x 10 x N targets for bake: one target with a matrix attribute
    printf 'FROM scratch\n' >"$dir/Dockerfile"
    cat >"$dir/docker-bake.hcl" <<EOF
group "default" {
  targets = ["cpython"]
}

target "cpython" {
  name = "py\${replace(python, ".", "_")}-\${profile}-\${i}"
  matrix = {
    python  = ["3.13.5", "3.11.2"]
    profile = ["p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9"]
    i       = [$ids]
  }
  context    = "."
  dockerfile = "Dockerfile"
  args = {
    PYTHON_VERSION = python
    CFLAGS_NODIST  = "-DBENCH_\${i}"
    LDFLAGS_NODIST = "-Wl,-O\${substr(profile, 1, 1)}"
  }
  tags = ["bench/cpython:\${python}-\${profile}-DBENCH_\${i}"]
}
EOF
}

gen 50 "$BENCH_DIR/1k"
gen 500 "$BENCH_DIR/10k"
for size in 1k 10k; do  # both sides must describe the same builds
    p=$("$PYMATRIX" plan "$BENCH_DIR/$size/matrix.toml" --format json 2>/dev/null | jq '.builds | length')
    b=$(cd "$BENCH_DIR/$size" && docker buildx bake --print 2>/dev/null | jq '.target | length')
    echo "$size: pymatrix plans $p builds, bake prints $b targets"
    [[ $p == "$b" ]] || { echo "bench: the two matrices differ" >&2; exit 1; }
done

plan() { echo "$PYMATRIX plan $BENCH_DIR/$1/matrix.toml --format json"; }
bake() { echo "docker buildx bake --print -f $BENCH_DIR/$1/docker-bake.hcl"; }
cd "$BENCH_DIR/1k"
hyperfine -N --warmup 2 --runs 10 --export-json "$BENCH_DIR/plan.json" --output=null "$(plan 1k)" "$(plan 10k)"
hyperfine -N --warmup 1 --runs 5 --export-json "$BENCH_DIR/bake1k.json" --output=null "$(bake 1k)"
hyperfine -N --runs "$BAKE_RUNS_10K" --export-json "$BENCH_DIR/bake10k.json" --output=null "$(bake 10k)"

mean() { jq -r ".results[$2].mean" "$BENCH_DIR/$1.json"; }
cpu() { jq -r ".results[$2] | .user + .system" "$BENCH_DIR/$1.json"; }  # CPU seconds: what a busy machine does not inflate
p1=$(mean plan 0) p10=$(mean plan 1) b1=$(mean bake1k 0) b10=$(mean bake10k 0)
cp1=$(cpu plan 0) cp10=$(cpu plan 1) cb1=$(cpu bake1k 0) cb10=$(cpu bake10k 0)
/usr/bin/time -v "$PYMATRIX" plan "$BENCH_DIR/10k/matrix.toml" --format json >/dev/null 2>"$BENCH_DIR/time.txt"
rss_kb=$(sed -n 's/^\s*Maximum resident set size (kbytes): //p' "$BENCH_DIR/time.txt")
/usr/bin/time -v docker buildx bake --print -f "$BENCH_DIR/1k/docker-bake.hcl" >/dev/null 2>"$BENCH_DIR/time-bake.txt"
bake_rss_kb=$(sed -n 's/^\s*Maximum resident set size (kbytes): //p' "$BENCH_DIR/time-bake.txt")

echo
echo "== results (mean wall seconds; CPU seconds = user + system) =="
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
awk -v p1="$p1" -v p10="$p10" -v b1="$b1" -v b10="$b10" -v rss="$rss_kb" -v brss="$bake_rss_kb" \
    -v cp1="$cp1" -v cp10="$cp10" -v cb1="$cb1" -v cb10="$cb10" 'BEGIN {
    printf "pymatrix plan   1,000 builds: %8.3f s wall %8.3f s CPU\n", p1, cp1
    printf "pymatrix plan  10,000 builds: %8.3f s wall %8.3f s CPU  (CPU x%.1f for 10x the builds)\n", p10, cp10, cp10 / cp1
    printf "bake --print    1,000 targets: %8.3f s wall %8.3f s CPU\n", b1, cb1
    printf "bake --print   10,000 targets: %8.3f s wall %8.3f s CPU  (CPU x%.1f for 10x the targets)\n", b10, cb10, cb10 / cb1
    printf "ratio bake/pymatrix at  1,000: %8.1fx wall %8.1fx CPU\n", b1 / p1, cb1 / cp1
    printf "ratio bake/pymatrix at 10,000: %8.1fx wall %8.1fx CPU\n", b10 / p10, cb10 / cp10
    printf "peak memory (max RSS) of plan at 10,000: %.1f MiB (bake --print at 1,000: %.1f MiB)\n", rss / 1024, brss / 1024
}'

if [[ -z ${SKIP_SECOND_RUN:-} ]]; then
    echo
    echo "== second run of an unchanged matrix =="
    cd "$REPO"
    "$PYMATRIX" build matrices/quickstart.toml >/dev/null  # make sure both builds are cached
    hyperfine -N --warmup 1 --runs 10 --export-json "$BENCH_DIR/second.json" --output=null \
        "$PYMATRIX build matrices/quickstart.toml"
    awk -v s="$(mean second 0)" 'BEGIN { printf "pymatrix build matrices/quickstart.toml (2 builds, cached): %.3f s\n", s }'
fi
