#!/usr/bin/env bash
# pymatrix's own image (the repository's Dockerfile): built with buildx, then used the way CI uses
# it. The quick start runs THROUGH the image against this engine (its socket mounted, and again
# through DOCKER_HOST) and must give what the host binary gives: exit code, the builds reported,
# the metadata, the labels on the images. A real build runs through it too (a configure that
# fails, as in e2e_partial_failure: buildx, logs and the failure report, without a 15-minute
# compile), `build --dry-run` prints the same commands inside as outside, and the examples'
# own steps run on the image: GitHub's `pymatrix` wrapper, GitLab's generate job in the image.
# Wall times are printed as "# ..." lines.
source "$(dirname "$0")/lib.sh"
IMAGE=pymatrix-e2e/pymatrix:test
CACHE_VOLUME=pymatrix-e2e-image-cache-$$
trap 'docker image rm -f "$IMAGE" >/dev/null 2>&1 || true; docker volume rm -f "$CACHE_VOLUME" >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT
# this machine's engine has no bridge network: builds and containers use the host's network
# when PYMATRIX_NETWORK says so (scripts/test.sh sets host); a user's machine needs neither
net=()
[[ -n "${PYMATRIX_NETWORK:-}" ]] && net=(--network="$PYMATRIX_NETWORK")
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

# --- the image --------------------------------------------------------------------------------
start=$(date +%s%N)
run docker buildx build "${net[@]}" --load --tag "$IMAGE" "$REPO"
build_ms=$(ms_since "$start")
assert_eq 0 "$rc" "docker buildx build of the repository's Dockerfile exits 0 ($(tail -5 <<<"$err"))"
echo "# image build: ${build_ms} ms (cached layers unless lib/ or cli/ changed)"
size=$(docker image inspect --format '{{.Size}}' "$IMAGE")
echo "# image size: $((size / 1048576)) MiB ($size bytes)"
(( size < 300 * 1048576 )) || fail "image size $((size / 1048576)) MiB: the runtime is meant to stay slim (< 300 MiB)"
ok "image under 300 MiB"
assert_eq '["pymatrix"]' "$(docker image inspect --format '{{json .Config.Entrypoint}}' "$IMAGE")" "ENTRYPOINT pymatrix"
inside="$(docker run --rm --network=none --entrypoint sh "$IMAGE" -c '
    command -v pymatrix; command -v docker
    docker --version | cut -d, -f1
    docker buildx version | cut -d" " -f1,2
    for t in cc gcc g++ cmake make dockerd containerd; do command -v $t || true; done
    ls /usr/include 2>/dev/null | grep -c . || true
    ldd /usr/local/bin/pymatrix | grep -c "not found" || true')"
assert_eq "/usr/local/bin/pymatrix
/usr/bin/docker
Docker version 26.1.5+dfsg1
github.com/docker/buildx 0.13.1+ds1
0
0" "$inside" "runtime: pymatrix, docker CLI 26.1, buildx 0.13; no compiler, no daemon, no headers, no missing library"
run docker run --rm --network=none "$IMAGE"
assert_eq 0 "$rc" "the image with no argument shows --help"
assert_contains "$out" "usage: pymatrix VERB" "--help is pymatrix's"

# pymatrix in the image: this engine through its socket, the repository at its own path
# (read-only), the working directory (logs, metadata) at its own path, a cache volume
img() {
    docker run --rm "${net[@]}" ${PYMATRIX_NETWORK:+-e PYMATRIX_NETWORK} \
        -v /var/run/docker.sock:/var/run/docker.sock -v "$REPO:$REPO:ro" -v "$PWD:$PWD" -w "$PWD" \
        -v "$CACHE_VOLUME:/root/.cache/pymatrix" "$IMAGE" "$@"
}
# the summary rows without the DURATION column; `built` counts as `cached` (on a fresh engine the
# host run builds the images, then the image's run finds them)
summary() { grep -E '^3\.13-' <<<"$1" | awk '{ $3 = ""; if ($2 == "built") $2 = "cached"; print }'; }
stable='{file, template_version, builds: [.builds[] | {name, status: (if .status == "built" then "cached" else .status end),
         tags, config_hash, image_id, digest, size_bytes, configure_args, node, pushed, error}]}'

# --- the quick start: host binary, then the image ----------------------------------------------
mkdir -p "$TMP/host" "$TMP/img"
cd "$TMP/host"
start=$(date +%s%N)
run "$PYMATRIX" build "$REPO/matrices/quickstart.toml" --metadata-file meta.json
host_ms=$(ms_since "$start")
host_rc=$rc host_out=$out
assert_eq 0 "$host_rc" "host: quick start exits 0 ($err)"
cd "$TMP/img"
start=$(date +%s%N)
run img build "$REPO/matrices/quickstart.toml" --metadata-file meta.json
img_ms=$(ms_since "$start")
echo "$out" | tail -4
assert_eq "$host_rc" "$rc" "image: quick start exits as on the host ($err)"
assert_eq "$(summary "$host_out")" "$(summary "$out")" "image: the same builds, statuses, sizes and tags as the host"
[[ "$out" =~ 3.13-default\ +(built|cached) && "$out" =~ 3.13-opt-v3\ +(built|cached) ]] || fail "image: both builds reported"
ok "image: 3.13-default and 3.13-opt-v3 reported built or cached"
assert_eq "$(jq -S "$stable" "$TMP/host/meta.json")" "$(jq -S "$stable" meta.json)" \
    "image: --metadata-file written to the mounted directory, equal to the host's"
start=$(date +%s%N)
run img build "$REPO/matrices/quickstart.toml"
img2_ms=$(ms_since "$start")
assert_eq 0 "$rc" "image: second run exits 0"
assert_contains "$out" "3.13-default  cached" "image: second run, default cached"
assert_contains "$out" "3.13-opt-v3   cached" "image: second run, opt-v3 cached"
echo "# quick start (cached): host ${host_ms} ms, image ${img_ms} ms, image again (warm cache volume) ${img2_ms} ms"

# the labels on the images, as test_quickstart reads them, and the plan made inside the image
plan_hashes="$(img plan "$REPO/matrices/quickstart.toml" --format json | jq -r '.builds[] | "\(.name) \(.config_hash)"')"
assert_eq "$("$PYMATRIX" plan "$REPO/matrices/quickstart.toml" --format json | jq -r '.builds[] | "\(.name) \(.config_hash)"')" \
    "$plan_hashes" "image: plan gives the host's config hashes"
for tag in default opt-v3; do
    image="pymatrix/cpython:3.13.5-$tag"
    assert_eq "$(grep "^3.13-$tag " <<<"$plan_hashes" | cut -d' ' -f2)" "$(label "$image" io.pymatrix.config-hash)" \
        "$tag: config-hash label is the plan's"
    real="$(in_image "$image" python3 -c 'import sys, sysconfig; sys.stdout.write(sysconfig.get_config_var("CONFIG_ARGS"))')"
    assert_eq "$real" "$(label "$image" io.pymatrix.config-args)" "$tag: config-args label == the interpreter's CONFIG_ARGS"
    assert_eq "3.13.5" "$(label "$image" io.pymatrix.python.version)" "$tag: python.version label"
done
assert_eq "'--enable-option-checking=fatal' 'CFLAGS_NODIST=-O3 -march=x86-64-v3'" \
    "$(label pymatrix/cpython:3.13.5-opt-v3 io.pymatrix.config-args)" "opt-v3 CONFIG_ARGS label"
assert_eq "x86-64-v3" "$(label pymatrix/cpython:3.13.5-opt-v3 io.pymatrix.isa.level)" "opt-v3 isa.level label"
run img inspect pymatrix/cpython:3.13.5-opt-v3 --format json
assert_eq "'--enable-option-checking=fatal' 'CFLAGS_NODIST=-O3 -march=x86-64-v3'" "$(jq -r .decoded.config_args <<<"$out")" \
    "image: inspect reads the labels through the socket"
run img check pymatrix/cpython:3.13.5-opt-v3 --target-level x86-64-v2
assert_eq 4 "$rc" "image: check exits 4 for a v3 image on a v2 target, as on the host"

# --- DOCKER_HOST instead of the default socket path --------------------------------------------
run docker run --rm "${net[@]}" ${PYMATRIX_NETWORK:+-e PYMATRIX_NETWORK} -e DOCKER_HOST=unix:///engine/docker.sock \
    -v /var/run/docker.sock:/engine/docker.sock -v "$REPO:$REPO:ro" -v "$PWD:$PWD" -w "$PWD" \
    "$IMAGE" build "$REPO/matrices/quickstart.toml"
assert_eq 0 "$rc" "DOCKER_HOST=unix:///engine/docker.sock: quick start exits 0 ($err)"
assert_eq "$(summary "$host_out")" "$(summary "$out")" "DOCKER_HOST: the same builds, cached"
assert_eq 2 "$(grep -cE '^3\.13-[a-z0-9-]+ +cached ' <<<"$out")" "DOCKER_HOST: both builds cached"

# --- a real build through the image: buildx runs, configure fails, the log lands on the host ----
mkdir -p "$TMP/fail" && cd "$TMP/fail"
start=$(date +%s%N)
run img build "$E2E/matrices/three.toml" --only 3.13-bad-tzpath --log-dir logs
fail_ms=$(ms_since "$start")
assert_eq 3 "$rc" "image: a build whose configure fails exits 3, as on the host"
assert_contains "$out" "3.13-bad-tzpath  failed" "image: the build reported failed"
assert_contains "$out" "configure: error: --with-tzpath must contain only absolute paths" "image: configure's error named"
assert_contains "$(cat "$TMP/fail/logs/3.13-bad-tzpath.log")" "--with-tzpath must contain only absolute paths" \
    "image: the full build log is in the mounted log directory"
assert_eq "" "$(docker images -q pymatrix/cpython:3.13.5-bad-tzpath)" "image: the failed build has no tag"
echo "# a real (failing-configure) build through the image: ${fail_ms} ms"

# --- build --dry-run: the same docker/buildx commands inside the image as on the host ----------
mkdir -p "$TMP/dry" && cd "$TMP/dry"
norm() { sed -E 's#(/usr/local/bin|/usr/bin)/docker #docker #g' <<<"$1"; }
run "$PYMATRIX" build "$REPO/matrices/quickstart.toml" --dry-run
host_dry="$out"
assert_eq 0 "$rc" "host: --dry-run exits 0"
run img build "$REPO/matrices/quickstart.toml" --dry-run
assert_eq 0 "$rc" "image: --dry-run exits 0"
assert_eq "$(norm "$host_dry")" "$(norm "$out")" "image: --dry-run prints the host's commands (paths included)"
assert_not_contains "$out" "-v $TMP" "image: no host path is bind-mounted into a build (contexts go on stdin)"

# --- the examples' own steps on the image -----------------------------------------------------
# GitHub: the "pymatrix from its image" step verbatim (RUNNER_TEMP, GITHUB_PATH as on a runner),
# then the setup job's matrix step through the wrapper it installed
python3 - "$REPO/examples/ci/github-actions.yml" "$TMP" <<'PY'
import sys, yaml
jobs = yaml.safe_load(open(sys.argv[1]))["jobs"]
steps = {s.get("id", s.get("name")): s["run"] for s in jobs["setup"]["steps"] if "run" in s}
open(sys.argv[2] + "/gh-wrapper.sh", "w").write(steps["pymatrix from its image"])
open(sys.argv[2] + "/gh-matrix.sh", "w").write(steps["matrix"])
build = next(s["run"] for s in jobs["build-1"]["steps"] if "pymatrix build" in s.get("run", ""))
open(sys.argv[2] + "/gh-build.sh", "w").write(build)
PY
# a checkout as a runner has it (the wrapper mounts only the working directory): the matrices,
# and the sources the quick start names (hard links: same file system, nothing copied)
checkout() {
    mkdir -p "$1"
    cp -r "$REPO/matrices" "$1/"
    cp -rl "$REPO/sources" "$1/" 2>/dev/null || cp -r "$REPO/sources" "$1/"
}
checkout "$TMP/gh" && mkdir -p "$TMP/gh/runner" && cd "$TMP/gh"
export RUNNER_TEMP="$TMP/gh/runner" GITHUB_PATH="$TMP/gh/github_path" GITHUB_OUTPUT="$TMP/gh/github_output" PYMATRIX_IMAGE="$IMAGE"
run bash -e "$TMP/gh-wrapper.sh"
assert_eq 0 "$rc" "github: the wrapper step runs ($err)"
assert_eq "$RUNNER_TEMP/bin" "$(cat "$GITHUB_PATH")" "github: the wrapper's directory goes on PATH"
start=$(date +%s%N)
run env PATH="$RUNNER_TEMP/bin:$PATH" MATRIX_FILE=matrices/quickstart.toml bash -e "$TMP/gh-matrix.sh"
gh_ms=$(ms_since "$start")
assert_eq 0 "$rc" "github: the setup job's matrix step through the image exits 0 ($err)"
assert_eq "matrix_1=$("$PYMATRIX" ci-matrix "$REPO/matrices/quickstart.toml" --format github)
matrix_2={\"include\":[]}" "$(cat "$GITHUB_OUTPUT")" "github: the image writes the host's matrix outputs"
echo "# github setup step (two ci-matrix runs through the image): ${gh_ms} ms"
# the build step through the wrapper, planned only (--dry-run appended: nothing built or pushed)
mkdir -p "$TMP/gh/bin"
printf '#!/bin/sh\nexec "%s/bin/pymatrix" "$@" --dry-run\n' "$RUNNER_TEMP" >"$TMP/gh/bin/pymatrix"
chmod +x "$TMP/gh/bin/pymatrix"
run env PATH="$TMP/gh/bin:$PATH" MATRIX_FILE=matrices/quickstart.toml BUILD=3.13-opt-v3 \
    REPOSITORY=registry.example.com/team/cpython BUILDER=default bash -e "$TMP/gh-build.sh"
assert_eq 0 "$rc" "github: the build step through the image plans ($err)"
assert_contains "$out" "--tag registry.example.com/team/cpython:3.13.5-opt-v3" "github: the build step's tags carry --repository"
unset RUNNER_TEMP GITHUB_PATH GITHUB_OUTPUT PYMATRIX_IMAGE
# GitLab: the generate job's script inside the image with its entrypoint emptied, as the runner
# runs it (`image: {name: ..., entrypoint: [""]}`); its artifact is the child pipeline
checkout "$TMP/gl" && cd "$TMP/gl"
script="$(python3 -c 'import sys, yaml; print("\n".join(yaml.safe_load(open(sys.argv[1]))["generate-builds"]["script"]))' \
    "$REPO/examples/ci/gitlab-ci.yml")"
run docker run --rm --network=none --entrypoint "" -v "$REPO:$REPO:ro" -v "$PWD:$PWD" -w "$PWD" \
    -e MATRIX_FILE=matrices/quickstart.toml -e PYMATRIX_REPOSITORY=registry.example.com/team/cpython \
    "$IMAGE" sh -ec "$script"
assert_eq 0 "$rc" "gitlab: the generate job's script runs in the image ($err)"
assert_eq "build:3.13-default build:3.13-opt-v3 default stages variables" \
    "$(python3 -c 'import sys, yaml; print(" ".join(sorted(yaml.safe_load(open(sys.argv[1])))))' child-pipeline.yml)" \
    "gitlab: the child pipeline it writes parses: engine variables, default block, one job per build"
done_testing
