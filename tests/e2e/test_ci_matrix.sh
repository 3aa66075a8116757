#!/usr/bin/env bash
# pymatrix ci-matrix: the exact GitHub Actions matrix and GitLab child pipeline for
# matrices/quickstart.toml (parsed by jq and by a real YAML parser, python3-yaml), --only,
# bad flags (exit 2); the example pipelines in examples/ci/ parsed as YAML, their schema checked and
# every pymatrix command line in them run (build with --dry-run); CI limits: GitHub's 256 jobs per
# matrix (refusal, --part K/N slices, an outgrown workflow refused, a spare job empty), GitLab's
# child pipeline not held to parallel:matrix's 200.
source "$(dirname "$0")/lib.sh"
cd "$REPO"
M=matrices/quickstart.toml
plan="$("$PYMATRIX" plan "$M" --format json)"
h0="$(jq -r '.builds[0].config_hash[0:12]' <<<"$plan")"
h1="$(jq -r '.builds[1].config_hash[0:12]' <<<"$plan")"

run "$PYMATRIX" ci-matrix "$M" --format github
assert_eq 0 "$rc" "github exits 0 ($err)"
assert_eq 1 "$(wc -l <<<"$out")" "github: one line, for \$GITHUB_OUTPUT"
assert_eq '{"include":[{"build":"3.13-default","python":"3.13.5","python_key":"3.13","profile":"default","tag":"pymatrix/cpython:3.13.5-default","config_hash":"'"$h0"'"},{"build":"3.13-opt-v3","python":"3.13.5","python_key":"3.13","profile":"opt-v3","tag":"pymatrix/cpython:3.13.5-opt-v3","config_hash":"'"$h1"'"}]}' \
    "$out" "github: exact matrix"
assert_eq "3.13-default 3.13-opt-v3" "$(jq -r '[.include[].build] | join(" ")' <<<"$out")" "github: valid JSON, plan order"

run "$PYMATRIX" ci-matrix "$M" --format github --only 3.13-opt-v3
assert_eq '["3.13-opt-v3"]' "$(jq -c '[.include[].build]' <<<"$out")" "--only keeps one build"

run "$PYMATRIX" ci-matrix "$M" --format gitlab --repository 127.0.0.1:5000/team/cpython
assert_eq 0 "$rc" "gitlab exits 0 ($err)"
expected="# GitLab CI child pipeline written by pymatrix ci-matrix: one job per build of matrices/quickstart.toml.
# Each job builds and pushes its build only; a build the registry already holds with the same
# config hash is reported cached and neither built nor pulled.
stages:
  - build

\"build:3.13-default\":
  stage: build
  variables:
    PYMATRIX_BUILD: \"3.13-default\"
    PYMATRIX_PYTHON: \"3.13.5\"
    PYMATRIX_PROFILE: \"default\"
    PYMATRIX_CONFIG_HASH: \"$h0\"
  script:
    - \"pymatrix build matrices/quickstart.toml --only 3.13-default --push --repository 127.0.0.1:5000/team/cpython\"

\"build:3.13-opt-v3\":
  stage: build
  variables:
    PYMATRIX_BUILD: \"3.13-opt-v3\"
    PYMATRIX_PYTHON: \"3.13.5\"
    PYMATRIX_PROFILE: \"opt-v3\"
    PYMATRIX_CONFIG_HASH: \"$h1\"
  script:
    - \"pymatrix build matrices/quickstart.toml --only 3.13-opt-v3 --push --repository 127.0.0.1:5000/team/cpython\""
assert_eq "$expected" "$out" "gitlab: exact child pipeline"
parsed="$(python3 -c '
import json, sys, yaml
d = yaml.safe_load(sys.stdin)
print(json.dumps({k: (v["script"] if isinstance(v, dict) else v) for k, v in d.items()}, sort_keys=True))' <<<"$out")"
assert_eq '{"build:3.13-default": ["pymatrix build matrices/quickstart.toml --only 3.13-default --push --repository 127.0.0.1:5000/team/cpython"], "build:3.13-opt-v3": ["pymatrix build matrices/quickstart.toml --only 3.13-opt-v3 --push --repository 127.0.0.1:5000/team/cpython"], "stages": ["build"]}' \
    "$parsed" "gitlab: a YAML parser reads one job per build"

run "$PYMATRIX" ci-matrix "$M" --format gitlab --only 3.13-default
assert_eq 1 "$(grep -c '^"build:' <<<"$out")" "gitlab --only: one job"

run "$PYMATRIX" ci-matrix "$M" --format circleci
assert_eq 2 "$rc" "unknown --format exits 2"
assert_contains "$err" "--format" "names the flag"
run "$PYMATRIX" ci-matrix "$M"
assert_eq 2 "$rc" "missing --format exits 2"
run "$PYMATRIX" ci-matrix "$M" --format gitlab --repository 'Team/CPython'
assert_eq 2 "$rc" "bad --repository exits 2"
assert_contains "$err" "--repository" "names the flag"
run "$PYMATRIX" ci-matrix "$M" --format github --only 3.13-nope
assert_eq 2 "$rc" "unknown --only exits 2"
assert_contains "$err" "no build is named '3.13-nope'" "names the build"

# --- the example pipelines (examples/ci/): GitHub Actions and GitLab CI cannot run here, so their
# schema points are checked with a YAML parser, and every pymatrix command line in them is run:
# ci-matrix for real, build with --dry-run (the image's own run of them: test_image.sh)
GH="$REPO/examples/ci/github-actions.yml"
GL="$REPO/examples/ci/gitlab-ci.yml"
# only what a runner has: no machine set-up of this repository, no compiler, no debootstrap
for f in "$GH" "$GL"; do
    for word in setup-engine.sh build-pymatrix.sh debootstrap apt-get "sudo " cmake; do
        assert_not_contains "$(grep -v '^ *#' "$f")" "$word" "$(basename "$f") needs no $word"
    done
done
gh="$(python3 - "$GH" <<'PY'
import re, sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
jobs = d["jobs"]
facts = [" ".join(sorted(jobs))]
# PyYAML reads the key `on` as True (YAML 1.1); GitHub reads it as "on"
facts.append("triggers=" + ",".join(sorted(d.get("on", d.get(True, {})))))
setup = jobs["setup"]
facts.append("setup outputs: " + " ".join(f"{k}={v}" for k, v in sorted(setup["outputs"].items())))
for name in ("build-1", "build-2"):
    j = jobs[name]
    k = name[-1]
    facts.append(f"{name}: needs={j['needs']} matrix={j['strategy']['matrix']} fail-fast={j['strategy']['fail-fast']} if={j['if']}")
    steps = j["steps"]
    # every step is exactly one of uses: / run:
    facts.append(f"{name}: steps uses-xor-run={all(('uses' in s) != ('run' in s) for s in steps)}")
    uses = [s["uses"] for s in steps if "uses" in s]
    facts.append(f"{name}: uses=" + ",".join(u.split("@")[0] for u in uses))
    pinned = all(re.fullmatch(r"[\w./-]+@v\d+", u) for u in uses)
    facts.append(f"{name}: pinned={pinned}")
    build = [s for s in steps if "pymatrix build" in s.get("run", "")]
    facts.append(f"{name}: build step env={sorted(build[0].get('env', {}))} job env={sorted(j['env'])}")
    facts.append(f"{name}: builder from buildx={build[0]['env']['BUILDER'] == '${{ steps.buildx.outputs.name }}'}")
facts.append("setup uses-xor-run=" + str(all(('uses' in s) != ('run' in s) for s in setup["steps"])))
facts.append("env=" + ",".join(sorted(d["env"])))
print("\n".join(facts))
PY
)"
echo "$gh"
expected_gh='build-1 build-2 setup
triggers=push,workflow_dispatch
setup outputs: matrix_1=${{ steps.matrix.outputs.matrix_1 }} matrix_2=${{ steps.matrix.outputs.matrix_2 }}
build-1: needs=setup matrix=${{ fromJSON(needs.setup.outputs.matrix_1) }} fail-fast=False if=fromJSON(needs.setup.outputs.matrix_1).include[0] != null
build-1: steps uses-xor-run=True
build-1: uses=actions/checkout,docker/setup-buildx-action,docker/login-action,actions/upload-artifact
build-1: pinned=True
build-1: build step env=['"'"'BUILDER'"'"'] job env=['"'"'BUILD'"'"', '"'"'REPOSITORY'"'"']
build-1: builder from buildx=True
build-2: needs=setup matrix=${{ fromJSON(needs.setup.outputs.matrix_2) }} fail-fast=False if=fromJSON(needs.setup.outputs.matrix_2).include[0] != null
build-2: steps uses-xor-run=True
build-2: uses=actions/checkout,docker/setup-buildx-action,docker/login-action,actions/upload-artifact
build-2: pinned=True
build-2: build step env=['"'"'BUILDER'"'"'] job env=['"'"'BUILD'"'"', '"'"'REPOSITORY'"'"']
build-2: builder from buildx=True
setup uses-xor-run=True
env=MATRIX_FILE,PYMATRIX_IMAGE'
assert_eq "$expected_gh" "$gh" "examples/ci/github-actions.yml: jobs, outputs, fromJSON matrices, guards, uses:/run: steps"

# the run: scripts of a job (by name), and of GitLab's script lists, as files
python3 - "$GH" "$GL" "$TMP" <<'PY'
import sys, yaml
gh, gl, tmp = yaml.safe_load(open(sys.argv[1])), yaml.safe_load(open(sys.argv[2])), sys.argv[3]
for job, j in gh["jobs"].items():
    for i, s in enumerate(j["steps"]):
        if "run" in s:
            open(f"{tmp}/gh-{job}-{s.get('id', i)}.sh", "w").write(s["run"])
for job in ("generate-builds",):
    open(f"{tmp}/gl-{job}.sh", "w").write("\n".join(gl[job]["script"]) + "\n")
PY
# every script is valid shell
for s in "$TMP"/gh-*.sh "$TMP"/gl-*.sh; do
    bash -n "$s" || fail "$(basename "$s"): bash -n"
done
ok "every run:/script: of both examples is valid bash"
# every pymatrix command line in them, with the verbs and flags they use: run below
assert_eq 'pymatrix build "$MATRIX_FILE" --only "$BUILD" --push --repository "$REPOSITORY" --builder "$BUILDER" --metadata-file metadata.json
pymatrix ci-matrix "$MATRIX_FILE" --format github --part "$k/2"
pymatrix ci-matrix "$MATRIX_FILE" --format gitlab --repository "$PYMATRIX_REPOSITORY" >> child-pipeline.yml' \
    "$(for f in "$TMP"/gh-*.sh "$TMP"/gl-*.sh; do cat "$f"; echo; done | grep -v '^ *#' | grep -o 'pymatrix [a-z-]* .*' | sed 's/)$//' | sort -u)" \
    "the pymatrix command lines of both examples"

# the examples' steps run with `pymatrix` = the binary under test (build: --dry-run, nothing built)
pymatrix() {
    if [[ "$1" == build ]]; then "$PYMATRIX" "$@" --dry-run; else "$PYMATRIX" "$@"; fi
}
export -f pymatrix
export PYMATRIX MATRIX_FILE="$M"
# GitHub setup job: two outputs, the quick start in the first, the second empty (build-2 skipped)
export GITHUB_OUTPUT="$TMP/github_output"
: >"$GITHUB_OUTPUT"
run bash -e "$TMP/gh-setup-matrix.sh"
assert_eq 0 "$rc" "github setup step exits 0 ($err)"
assert_eq "matrix_1=$("$PYMATRIX" ci-matrix "$M" --format github)
matrix_2={\"include\":[]}" "$(cat "$GITHUB_OUTPUT")" "github setup: matrix_1 holds the quick start, matrix_2 is empty"
# a matrix refused by ci-matrix fails the setup step (no empty output goes on silently)
: >"$GITHUB_OUTPUT"
run env MATRIX_FILE=/nonexistent.toml bash -e "$TMP/gh-setup-matrix.sh"
assert_eq 2 "$rc" "github setup step fails with ci-matrix's exit 2 on a bad matrix"
assert_eq "" "$(cat "$GITHUB_OUTPUT")" "no output written for a refused matrix"
# GitHub build step, for each build of matrix_1 (--dry-run: the docker/buildx calls it would make)
for b in 3.13-default 3.13-opt-v3; do
    run env BUILD="$b" REPOSITORY=127.0.0.1:5000/team/cpython BUILDER=default bash -e "$TMP/gh-build-1-5.sh"
    assert_eq 0 "$rc" "github build step for $b parses and plans ($err)"
    assert_contains "$out" "--tag 127.0.0.1:5000/team/cpython:3.13.5-${b#3.13-}" "github build step for $b: the pushed tag"
done
# GitLab generate job: writes the child pipeline (header + ci-matrix output) in its directory
(cd "$TMP" && mkdir -p gl && cd gl && ln -s "$REPO/matrices" matrices &&
    MATRIX_FILE=matrices/quickstart.toml PYMATRIX_REPOSITORY=registry.example.com/team/cpython bash -e "$TMP/gl-generate-builds.sh")
child="$(python3 - "$TMP/gl/child-pipeline.yml" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
print(" ".join(sorted(d)))
print(d["variables"]["DOCKER_HOST"], d["default"]["image"], d["default"]["services"])
for k, v in sorted(d.items()):
    if k.startswith("build:"):
        print(k, v["stage"], v["script"])
print("parallel:matrix" in open(sys.argv[1]).read())
PY
)"
assert_eq "build:3.13-default build:3.13-opt-v3 default stages variables
tcp://docker:2376 {'name': '\$PYMATRIX_IMAGE', 'entrypoint': ['']} [{'name': 'docker:27-dind', 'alias': 'docker'}]
build:3.13-default build ['pymatrix build matrices/quickstart.toml --only 3.13-default --push --repository registry.example.com/team/cpython']
build:3.13-opt-v3 build ['pymatrix build matrices/quickstart.toml --only 3.13-opt-v3 --push --repository registry.example.com/team/cpython']
False" "$child" "gitlab: the generated child pipeline: engine variables, pymatrix image on dind, one job per build"
# each child job's script line parses and plans (--dry-run)
for b in 3.13-default 3.13-opt-v3; do
    line="$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["build:" + sys.argv[2]]["script"][0])' "$TMP/gl/child-pipeline.yml" "$b")"
    run bash -ec "cd '$REPO' && $line"
    assert_eq 0 "$rc" "gitlab child job build:$b parses and plans ($err)"
done
gl="$(python3 - "$GL" <<'PY'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
g, t = d["generate-builds"], d["build-images"]
print(d["stages"], g["image"], g["artifacts"]["paths"], t["needs"], t["trigger"])
PY
)"
assert_eq "['generate', 'build'] {'name': '\$PYMATRIX_IMAGE', 'entrypoint': ['']} ['child-pipeline.yml'] ['generate-builds'] {'include': [{'artifact': 'child-pipeline.yml', 'job': 'generate-builds'}], 'strategy': 'depend'}" \
    "$gl" "examples/ci/gitlab-ci.yml: generate job in the pymatrix image, trigger of the artifact"
unset -f pymatrix

# GitHub runs at most 256 jobs per matrix: 300 builds are refused with the --part K/N calls that
# split them; a workflow of N matrix jobs gets slices of at most 256 builds in plan order, is
# refused when the builds outgrow it, and a spare job gets an empty matrix
big="$TMP/big.toml"
cat >"$big" <<TOML
[pythons."3.13"]
version = "3.13.5"
source = "$REPO/sources/Python-3.13.5.tar.xz"
sha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
[profiles.o]
[matrix]
python = ["3.13"]
profile = ["o"]
cflags_nodist = [$(seq -f '"-DPYMATRIX_N%g"' 1 300 | paste -sd,)]
TOML
run "$PYMATRIX" ci-matrix "$big" --format github
assert_eq 2 "$rc" "github: 300 builds exit 2"
assert_eq "" "$out" "github: nothing on stdout for a refused matrix"
assert_eq "pymatrix: $big: matrix: 300 builds, but GitHub Actions runs at most 256 jobs per matrix: split them over 2 matrix jobs with --part 1/2, --part 2/2 (one setup job output each), or pick builds with --only" \
    "$err" "github: one line with the count, the limit and how to split"
parts=""
for k in 1 2; do
    run "$PYMATRIX" ci-matrix "$big" --format github --part $k/2
    assert_eq 0 "$rc" "--part $k/2 exits 0"
    parts+="$(jq -r '.include[].build' <<<"$out")"$'\n'
done
assert_eq "256 44" "$("$PYMATRIX" ci-matrix "$big" --format github --part 1/2 | jq '.include | length') $("$PYMATRIX" ci-matrix "$big" --format github --part 2/2 | jq '.include | length')" \
    "parts of 256 and 44 builds"
assert_eq "$("$PYMATRIX" plan "$big" --format json | jq -r '.builds[].name')" "${parts%$'\n'}" "the parts together are the plan, in order"
run "$PYMATRIX" ci-matrix "$big" --format github --part 3/3
assert_eq 0 "$rc" "--part 3/3 of 300 builds: a spare job exits 0"
assert_eq '{"include":[]}' "$out" "--part 3/3: an empty matrix (the workflow's if: skips the job)"
run "$PYMATRIX" ci-matrix "$big" --format github --part 1/1
assert_eq 2 "$rc" "--part 1/1 with 300 builds: the workflow is outgrown, exit 2"
assert_eq "pymatrix: --part: 1/1: 300 builds need 2 matrices of at most 256 jobs, but the workflow has 1 matrix job: give it 2 (--part 1/2, --part 2/2)" \
    "$err" "--part K/N: how many jobs the workflow needs"
run "$PYMATRIX" ci-matrix "$big" --format github --part 2
assert_eq 44 "$(jq '.include | length' <<<"$out")" "--part K without N: the K-th slice"
run "$PYMATRIX" ci-matrix "$big" --format github --part 3
assert_eq 2 "$rc" "--part past the last exits 2"
assert_eq "pymatrix: --part: 3 is past the last part: 300 builds make 2 parts of at most 256" "$err" "--part: the parts named"
for bad in 0 3/2 1/0 x 1/2/3; do
    run "$PYMATRIX" ci-matrix "$big" --format github --part "$bad"
    assert_eq 2 "$rc" "--part $bad exits 2"
done
assert_eq "pymatrix: --part: '1/2/3' is not K or K/N (whole numbers, 1 <= K <= N): K picks the matrix, N is the number of matrix jobs in the workflow" \
    "$err" "--part: a bad value explained"
run "$PYMATRIX" ci-matrix "$big" --format gitlab --part 1/2
assert_eq 2 "$rc" "--part with gitlab exits 2"
# GitLab: a child pipeline, not parallel:matrix (200 jobs): 300 builds give 300 jobs
run "$PYMATRIX" ci-matrix "$big" --format gitlab
assert_eq 0 "$rc" "gitlab: 300 builds exit 0"
assert_eq 300 "$(python3 -c 'import sys, yaml; print(sum(k.startswith("build:") for k in yaml.safe_load(sys.stdin)))' <<<"$out")" \
    "gitlab: 300 builds are 300 jobs of one child pipeline"
assert_contains "$("$PYMATRIX" ci-matrix --help)" "GitHub Actions runs at most 256 jobs per matrix" "--help states the limit"
done_testing
