#!/usr/bin/env bash
# pymatrix ci-matrix: the exact GitHub Actions matrix and GitLab child pipeline for
# matrices/quickstart.toml (parsed by jq and by a real YAML parser, python3-yaml), --only,
# bad flags (exit 2), and the example workflow files in examples/ci/ parsed as YAML.
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

# the example pipelines are YAML a parser accepts, with the jobs they promise
gh="$(python3 -c '
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
jobs = d["jobs"]
print(" ".join(sorted(jobs)), jobs["build"]["strategy"]["matrix"], "ci-matrix" in jobs["setup"]["steps"][-1]["run"],
      any("--only \"$BUILD\" --push" in s.get("run", "") for s in jobs["build"]["steps"]))' "$REPO/examples/ci/github-actions.yml")"
assert_eq 'build setup ${{ fromJSON(needs.setup.outputs.matrix) }} True True' "$gh" "examples/ci/github-actions.yml"
gl="$(python3 -c '
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
print(d["stages"], d["build-images"]["trigger"]["include"][0]["artifact"],
      any("ci-matrix" in s for s in d["generate-builds"]["script"]))' "$REPO/examples/ci/gitlab-ci.yml")"
assert_eq "['generate', 'build'] child-pipeline.yml True" "$gl" "examples/ci/gitlab-ci.yml"
# the child pipeline the example writes (its default: block + ci-matrix output) is valid YAML
child="$(python3 -c '
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
s = next(x for x in d["generate-builds"]["script"] if x.startswith("cat > child-pipeline.yml"))
print(s.split("\n", 1)[1].rsplit("YAML", 1)[0], end="")' "$REPO/examples/ci/gitlab-ci.yml")"
full="$child$("$PYMATRIX" ci-matrix "$M" --format gitlab --repository registry.example.com/team/cpython)"
assert_eq "build:3.13-default build:3.13-opt-v3 default stages" \
    "$(python3 -c 'import sys, yaml; print(" ".join(sorted(yaml.safe_load(sys.stdin))))' <<<"$full")" \
    "the example's child pipeline parses: default block + one job per build"

# GitHub runs at most 256 jobs per matrix: 300 builds are refused with the --part calls that
# print them, and each part holds at most 256 builds, in plan order
big="$(mktemp)"
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
assert_eq "pymatrix: $big: matrix: 300 builds, but GitHub Actions runs at most 256 jobs per matrix: print it as 2 matrices with --part 1, --part 2 (one setup job output each), or pick builds with --only" \
    "$err" "github: the limit and how to split"
parts=""
for k in 1 2; do
    run "$PYMATRIX" ci-matrix "$big" --format github --part $k
    assert_eq 0 "$rc" "--part $k exits 0"
    parts+="$(jq -r '.include[].build' <<<"$out")"$'\n'
done
assert_eq "256 44" "$("$PYMATRIX" ci-matrix "$big" --format github --part 1 | jq '.include | length') $("$PYMATRIX" ci-matrix "$big" --format github --part 2 | jq '.include | length')" \
    "parts of 256 and 44 builds"
assert_eq "$("$PYMATRIX" plan "$big" --format json | jq -r '.builds[].name')" "${parts%$'\n'}" "the parts together are the plan, in order"
run "$PYMATRIX" ci-matrix "$big" --format github --part 3
assert_eq 2 "$rc" "--part past the last exits 2"
assert_eq "pymatrix: --part: 3 is past the last part: 300 builds make 2 parts of at most 256" "$err" "--part: the parts named"
run "$PYMATRIX" ci-matrix "$big" --format gitlab --part 1
assert_eq 2 "$rc" "--part with gitlab exits 2"
rm -f "$big"
done_testing
