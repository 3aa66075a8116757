#!/usr/bin/env bash
# Bad input: one clear message naming file:line, exit 2, nothing built or written. No engine needed
# but for the base images (exit 5, named where the file asks for each).
source "$(dirname "$0")/lib.sh"

cat > "$TMP/bad-syntax.toml" <<'TOML'
[pythons."3.13"]
version = "3.13.5"
source = "x.tar.xz"
sha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
[profiles.default
TOML
run "$PYMATRIX" build "$TMP/bad-syntax.toml"
assert_eq 2 "$rc" "TOML syntax error exits 2"
assert_contains "$err" "$TMP/bad-syntax.toml:5:" "syntax error names file:line"
assert_eq 1 "$(printf '%s\n' "$err" | wc -l)" "one line of error"

sed 's/\[profiles.default/[profiles.default]\ncflag_nodist = "-O3"\n[matrix]\npython = ["3.13"]\nprofile = ["default"]/' \
    "$TMP/bad-syntax.toml" > "$TMP/unknown-key.toml"
run "$PYMATRIX" plan "$TMP/unknown-key.toml"
assert_eq 2 "$rc" "unknown key exits 2"
assert_eq "pymatrix: $TMP/unknown-key.toml:6:1: profiles.default.cflag_nodist: unknown key; did you mean 'cflags_nodist'?" \
    "$err" "unknown key message"

sed 's/\[profiles.default/[profiles.default]\npgo_workload = "kernels"\n[matrix]\npython = ["3.13"]\nprofile = ["default"]/' \
    "$TMP/bad-syntax.toml" > "$TMP/workload-no-pgo.toml"
run "$PYMATRIX" build "$TMP/workload-no-pgo.toml" --dry-run
assert_eq 2 "$rc" "a PGO workload without pgo exits 2"
assert_eq "pymatrix: $TMP/workload-no-pgo.toml:6:16: profiles.default.pgo_workload: pgo_workload = \"kernels\" trains PGO, and this build has pgo = false: set pgo = true (--enable-optimizations)" \
    "$err" "named at its file:line:column and key"

# a PGO workload directory of the user's: its files in the generated context, PROFILE_TASK in the
# plan; a script that is not in it named at file:line:key
mkdir -p "$TMP/svc/pgo-train/lib"
printf 'import lib.jobs\nlib.jobs.run()\n' >"$TMP/svc/pgo-train/train.py"
printf 'def run():\n    pass\n' >"$TMP/svc/pgo-train/lib/jobs.py"
cat >"$TMP/svc/m.toml" <<EOF
[pythons."3.13"]
version = "3.13.5"
source = "$REPO/sources/Python-3.13.5.tar.xz"
sha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
[profiles.pgo-svc]
pgo = true
pgo_workload = { dir = "pgo-train", script = "train.py", args = ["--rounds", "3"] }
[matrix]
python = ["3.13"]
profile = ["pgo-svc"]
EOF
run "$PYMATRIX" plan "$TMP/svc/m.toml"
assert_contains "$out" "'PROFILE_TASK=/pymatrix-pgo/pgo_train.py pymatrix-pgo-trained /pymatrix-pgo/train.py --rounds 3'" \
    "the plan trains on the directory's script"
run "$PYMATRIX" generate "$TMP/svc/m.toml" -o "$TMP/svc/gen"
assert_eq 0 "$rc" "generate with a workload directory ($err)"
assert_eq "lib/jobs.py pgo_train.py train.py" \
    "$(cd "$TMP/svc/gen/3.13-pgo-svc/pymatrix/pgo-workload" && find . -type f | sed 's|^\./||' | sort | tr '\n' ' ' | sed 's/ $//')" \
    "its files and the driver in the context"
sed -i 's/script = "train.py"/script = "main.py"/' "$TMP/svc/m.toml"
run "$PYMATRIX" plan "$TMP/svc/m.toml"
assert_eq "2|pymatrix: $TMP/svc/m.toml:7:46: profiles.pgo-svc.pgo_workload.script: 'main.py' is not a file of $TMP/svc/pgo-train" \
    "$rc|$err" "a script not in the directory: exit 2 at file:line:key"

run "$PYMATRIX" generate "$TMP/unknown-key.toml" -o "$TMP/gen-bad"
assert_eq 2 "$rc" "generate of a bad file exits 2"
[[ ! -e "$TMP/gen-bad" ]] || fail "generate wrote output for a bad file"
ok "generate wrote nothing"

run "$PYMATRIX" plan "$TMP/no-such.toml"
assert_eq 2 "$rc" "a missing file exits 2"
assert_eq "pymatrix: $TMP/no-such.toml: cannot read the file: No such file or directory" "$err" "the reason is given"
run "$PYMATRIX" plan "$TMP"
assert_eq 2 "$rc" "a directory exits 2"
assert_eq "pymatrix: $TMP: cannot read the file: it is a directory" "$err" "a directory is named as one"
run "$PYMATRIX" plan --help
assert_not_contains "$out" "--file" "help lists no internal operand option"

run "$PYMATRIX" plan "$REPO/matrices/quickstart.toml" --format yaml
assert_eq 2 "$rc" "bad --format exits 2"
assert_contains "$err" "--format: 'yaml' is not one of table|json" "bad --format names the flag"

run "$PYMATRIX" build "$REPO/matrices/quickstart.toml" --only nope
assert_eq 2 "$rc" "--only with an unknown build exits 2"
assert_contains "$err" "no build is named 'nope' (builds: 3.13-default, 3.13-opt-v3)" "--only lists the builds"

run "$PYMATRIX" plan "$REPO/matrices/quickstart.toml" --format json
assert_eq 0 "$rc" "plan --format json"
assert_eq 2 "$(jq '.builds | length' <<<"$out")" "quickstart plans two builds"
assert_eq '["--enable-option-checking=fatal","CFLAGS_NODIST=-O3 -march=x86-64-v3"]' \
    "$(jq -c '.builds[1].configure_args' <<<"$out")" "opt-v3 configure argv"
assert_eq "pymatrix/cpython:3.13.5-opt-v3" "$(jq -r '.builds[1].tags[0]' <<<"$out")" "opt-v3 tag"

run "$PYMATRIX" generate "$REPO/matrices/quickstart.toml" -o "$TMP/gen"
assert_eq 0 "$rc" "generate"
assert_contains "$(cat "$TMP/gen/3.13-opt-v3/Dockerfile")" \
    'RUN ["./configure","--enable-option-checking=fatal","CFLAGS_NODIST=-O3 -march=x86-64-v3"]' "generated Dockerfile"

# --only narrows plan and generate as it does build; an unknown name writes nothing
run "$PYMATRIX" plan "$REPO/matrices/quickstart.toml" --only 3.13-opt-v3 --format json
assert_eq 0 "$rc" "plan --only"
assert_eq '["3.13-opt-v3"]' "$(jq -c '[.builds[].name]' <<<"$out")" "plan --only keeps one build"
run "$PYMATRIX" generate "$REPO/matrices/quickstart.toml" -o "$TMP/gen-only" --only 3.13-default
assert_eq 0 "$rc" "generate --only"
assert_eq "3.13-default" "$(ls "$TMP/gen-only")" "generate --only writes one build directory"
run "$PYMATRIX" generate "$REPO/matrices/quickstart.toml" -o "$TMP/gen-only-bad" --only nope
assert_eq 2 "$rc" "generate --only with an unknown build exits 2"
assert_contains "$err" "no build is named 'nope' (builds: 3.13-default, 3.13-opt-v3)" "generate --only lists the builds"
[[ ! -e "$TMP/gen-only-bad" ]] || fail "generate --only nope wrote output"
ok "generate --only nope wrote nothing"

# a misspelt configure option is refused from the source's own option list, before any build
start=$(date +%s%N)
run "$PYMATRIX" build "$E2E/matrices/misspelt.toml"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
assert_eq 2 "$rc" "misspelt configure option exits 2"
assert_eq "pymatrix: $E2E/matrices/misspelt.toml:11:13: profiles.misspelt.configure: '--enable-optimisations' is not a configure option of CPython 3.13.5; did you mean '--enable-optimizations'?" \
    "$err" "misspelt option: file:line, key, suggestion"
echo "# refused in ${elapsed_ms} ms"

# base images are pulled, not required: one question per base before any build, and a base that
# cannot be had is one error per base naming the registry's reason, at its file, line and key (exit 5)
hub=127.0.0.1:${PYMATRIX_HUB_PORT:-5555}   # scripts/setup-engine.sh's Docker Hub stand-in
fault_ports=()
fault_pids=()
for status in 401 429 503; do
    p=$((7000 + ${#fault_ports[@]} * 300 + RANDOM % 300))
    python3 "$E2E/fault_registry.py" "$p" "$status" 2>"$TMP/fault-$status.log" &
    fault_pids+=($!)
    fault_ports+=("$p")
done
trap 'kill "${fault_pids[@]}" 2>/dev/null || true; rm -rf "$TMP"' EXIT
for p in "${fault_ports[@]}"; do
    for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$p/v2/" && break; sleep 0.1; done
done
{
    sed -e "s|\.\./sources/|$REPO/sources/|" -e "s|^base_image = .*|base_image = \"$hub/library/debian:bookworm-slimm\"|" \
        "$REPO/matrices/quickstart.toml" | sed '/^\[matrix\]/,$d'
    printf '[profiles.p401]\nbase_image = "127.0.0.1:%s/library/debian:bookworm-slim"\n' "${fault_ports[0]}"
    printf '[profiles.p429]\nbase_image = "127.0.0.1:%s/library/debian:bookworm-slim"\n' "${fault_ports[1]}"
    printf '[profiles.p503]\nbase_image = "127.0.0.1:%s/library/debian:bookworm-slim"\n' "${fault_ports[2]}"
    printf '[profiles.gone]\nbase_image = "127.0.0.1:1/library/debian:bookworm-slim"\n'
    printf '[matrix]\npython = ["3.13"]\nprofile = ["default", "p401", "p429", "p503", "gone"]\n'
} >"$TMP/bases.toml"
at() { echo "$TMP/bases.toml:$(grep -n "$1" "$TMP/bases.toml" | head -n 1 | cut -d: -f1):14"; }
start=$(date +%s%N)
run "$PYMATRIX" build "$TMP/bases.toml" --pull
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
assert_eq 5 "$rc" "unobtainable base images exit 5"
assert_eq 5 "$(grep -c 'base_image: base image' <<<"$err")" "one error per base image, five bases"
assert_contains "$err" "$(at slimm): defaults.base_image: base image '$hub/library/debian:bookworm-slimm' does not exist: its registry answered not found" \
    "404: named as absent, at [defaults]' line"
assert_contains "$err" "$(at "${fault_ports[0]}"): profiles.p401.base_image: base image '127.0.0.1:${fault_ports[0]}/library/debian:bookworm-slim' cannot be pulled: unauthorized (401" \
    "401: unauthorized, at the profile's line"
assert_contains "$err" "$(at "${fault_ports[1]}"): profiles.p429.base_image: base image '127.0.0.1:${fault_ports[1]}/library/debian:bookworm-slim' cannot be pulled: rate-limited (429 Too Many Requests; transient, retry later)" \
    "429: rate-limited, worded as transient"
assert_contains "$err" "profiles.p503.base_image: base image '127.0.0.1:${fault_ports[2]}/library/debian:bookworm-slim' cannot be pulled: registry server error (5xx; transient, retry later)" \
    "503: a transient server error"
assert_contains "$err" "profiles.gone.base_image: base image '127.0.0.1:1/library/debian:bookworm-slim' cannot be pulled: registry unreachable" \
    "no registry: unreachable"
assert_eq 1 "$(grep -c 'does not exist' <<<"$err")" "only the 404 says 'does not exist'"
assert_not_contains "$out" "log:" "nothing was built"
assert_eq 0 "$(docker images -q --filter reference='pymatrix-unlabelled:*' | wc -l)" "no temporary image left"
echo "# five bases refused in ${elapsed_ms} ms"
# a docker.io typo goes through the engine's mirror, then to Docker Hub: not reachable here, and
# said so (on a machine that reaches Docker Hub it is its 404)
sed -e "s|\.\./sources/|$REPO/sources/|" -e 's|^base_image = .*|base_image = "debian:bookworm-slimm"|' \
    "$REPO/matrices/quickstart.toml" >"$TMP/no-base.toml"
line=$(grep -n '^base_image' "$TMP/no-base.toml" | cut -d: -f1)
run "$PYMATRIX" build "$TMP/no-base.toml" --only 3.13-default
assert_eq 5 "$rc" "a docker.io base the engine cannot get exits 5"
assert_contains "$err" "pymatrix: $TMP/no-base.toml:$line:14: defaults.base_image: base image 'debian:bookworm-slimm' " \
    "the base image named at its file, line and key"

# build --dry-run: every docker/buildx command per build, nothing started; no --network unless asked
M="$REPO/matrices/quickstart.toml"
PYMATRIX_NETWORK= DOCKER_HOST=unix:///nonexistent/docker.sock run "$PYMATRIX" build "$M" --dry-run
assert_eq 0 "$rc" "build --dry-run exits 0 without a daemon ($err)"
assert_not_contains "$out" "--network=host" "dry run: no --network=host unless asked"
assert_eq 2 "$(grep -c -- '--target pymatrix-build-info --output type=local,dest=' <<<"$out")" \
    "dry run: one image build per build, build-info.json through a local output"
assert_eq 2 "$(grep -c -- ' --load --tag pymatrix/cpython:' <<<"$out")" "dry run: one labelled build per build, loaded"
assert_contains "$out" "# node default: not asked (buildx builder 'default' names no driver pymatrix knows: Cannot connect to the Docker daemon" \
    "dry run without a daemon: the driver not asked, said so"
assert_contains "$out" "buildx build --progress=plain --target source --output type=cacheonly -" "dry run: the shared stage"
assert_contains "$out" "--entrypoint python3 -e PYMATRIX_SKIP_ISA_CHECK=1 pymatrix/cpython:3.13.5-opt-v3 -c" "dry run: the label check"
assert_eq 1 "$(grep -c '^# base image debian:bookworm-slim: asked once' <<<"$out")" "dry run: the base asked once"
assert_not_contains "$out" "--pull" "dry run: no --pull unless asked"
PYMATRIX_NETWORK= run "$PYMATRIX" build "$M" --dry-run --pull
assert_eq 6 "$(grep -c -- 'buildx build --progress=plain --pull --' <<<"$out")" \
    "--pull: the base question, the shared stage, two image builds and two labelled builds"
assert_eq 2 "$(grep -c -- '--pull --target pymatrix-build-info' <<<"$out")" "--pull: every image build"
PYMATRIX_NETWORK= run "$PYMATRIX" build "$M" --only 3.13-default --dry-run --network host --push
assert_contains "$out" "buildx build --progress=plain --network=host --target pymatrix-build-info" "--network host reaches the build"
assert_eq 2 "$(grep -c -- '/docker push pymatrix/cpython:3.13.5-default' <<<"$out")" "dry run --push: one push per tag"
# a docker-container builder (buildx's own, never started here: its moby/buildkit image cannot be
# fetched): the dry run shows the labelled build pushed from the builder, no docker run, no push
docker buildx rm pymatrix-e2e-dc >/dev/null 2>&1 || true
docker buildx create --name pymatrix-e2e-dc --driver docker-container >/dev/null
PYMATRIX_NETWORK= run "$PYMATRIX" build "$M" --only 3.13-default --dry-run --push --builder pymatrix-e2e-dc
assert_contains "$out" "# node pymatrix-e2e-dc: buildx driver docker-container" "docker-container: the driver asked"
assert_contains "$out" "buildx build --progress=plain --builder pymatrix-e2e-dc --push --metadata-file " \
    "docker-container --push: the labelled build pushes from the builder"
assert_not_contains "$out" " run --rm" "docker-container --push: no docker run"
assert_not_contains "$out" "docker push" "docker-container --push: no docker push"
assert_not_contains "$out" "--load" "docker-container --push: nothing through the local store"
run "$PYMATRIX" build "$M" --only 3.13-default --push --builder pymatrix-e2e-dc
assert_eq 5 "$rc" "a builder that cannot start exits 5"
assert_contains "$err" "buildx builder 'pymatrix-e2e-dc' (docker-container driver) does not start: " "said as the builder's fault"
docker buildx rm pymatrix-e2e-dc >/dev/null 2>&1 || true
run "$PYMATRIX" build "$M" --dry-run --builder default --builder default
assert_eq 2 "$rc" "a node given twice exits 2"
PYMATRIX_NETWORK=host run "$PYMATRIX" build "$M" --only 3.13-default --dry-run
assert_contains "$out" "--network=host --load" "\$PYMATRIX_NETWORK sets the mode"
assert_contains "$out" "# node default: buildx driver docker" "dry run: the node's driver"
run "$PYMATRIX" build "$M" --dry-run --network bridge
assert_eq 2 "$rc" "an unknown --network exits 2"
assert_eq "pymatrix: --network: 'bridge' is not a network mode of docker buildx build (default, none or host)" "$err" \
    "--network: the modes named"
printf '[defaults]\nnetwork = "bridge"\n' >"$TMP/net.toml"
sed -n '/^\[pythons/,$p' "$M" >>"$TMP/net.toml"
run "$PYMATRIX" build "$TMP/net.toml" --dry-run
assert_eq 2 "$rc" "[defaults] network: an unknown mode exits 2"
assert_contains "$err" "pymatrix: $TMP/net.toml:2:11: defaults.network: 'bridge' is not a network mode" "file, line and key"

# no daemon: one clear line, exit 5
DOCKER_HOST=unix:///nonexistent/docker.sock run "$PYMATRIX" build "$REPO/matrices/quickstart.toml"
assert_eq 5 "$rc" "no daemon exits 5"
assert_contains "$err" "no Docker daemon answers" "no daemon message"
assert_eq 1 "$(printf '%s\n' "$err" | wc -l)" "one line for no daemon"
PYMATRIX_DOCKER=/nonexistent/docker run "$PYMATRIX" inspect pymatrix/cpython:3.13.5-default
assert_eq 5 "$rc" "no docker CLI exits 5"
assert_contains "$err" "/nonexistent/docker' is not an executable program" "no docker CLI message"
done_testing
