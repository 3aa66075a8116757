#!/usr/bin/env bash
# Faults during `build --push`, on Debian's docker-registry of this test's own:
# 1. The registry process is killed (SIGKILL) while docker push sends the image: the build fails
#    naming the registry, the run still ends with its summary (exit 3), nothing is recorded as
#    pushed, no config-hash tag is in the registry; after a restart a re-run pushes it, unbuilt.
# 2. Two `pymatrix build --push` of the same matrix at once, as two CI jobs would: both exit 0,
#    and each config-hash tag in the registry names one digest, the one both runs recorded. (The
#    registry may answer one of them "manifest blob unknown" while the other's layers land, about
#    one run in fifteen here: pymatrix pushes that tag again.)
# 3. A registry that answers 429 (tests/e2e/fault_registry.py) during the build-once lookup: an
#    error worded as rate-limited, never "not cached", and nothing built.
# Uses the quick start's images (built by test_quickstart.sh; built here if missing).
# And a fault of the engine, on a build node of this test's own (scripts/node.sh; never the main
# engine, which other suites use), reached as pymatrix's users reach one: DOCKER_CONTEXT=NODE:
# 4. The engine is restarted while make compiles a real, uncached CPython build (a cflags_nodist
#    value unique to the run): first as a service restart does (SIGTERM, then start), then as a
#    crash (SIGKILL, then start). Each time: exit 3, the build failed with its summary, one line
#    saying what happened, no tag of the build and no pymatrix-unlabelled tag on the node, the
#    metadata file claims no image; then a re-run on the restarted node builds it (exit 0,
#    labels equal to what the image's interpreter reports). The node is stopped at the end, also
#    on failure; its data (build cache, pruned to 4 GB) stays in PYMATRIX_NODES_DIR for the next
#    run. Costs one CPython build on the node, plus a configure and a few seconds of make for
#    the restarts: 7-8 min on 2 cores (AMD EPYC), cold node or not (the unique flag makes
#    configure and make run each time); scenarios 1-3 take about a minute.
source "$(dirname "$0")/lib.sh"
cd "$TMP"
M="$REPO/matrices/quickstart.toml"

port=$((8000 + RANDOM % 800))
REG="$TMP/registry"
reg() { PYMATRIX_REGISTRY_PORT=$port "$REPO/scripts/registry.sh" "$1" "$REG" >/dev/null; }
reg start
fault_pid=""
NODE=e2e-faults   # scenario 4's build node
node_up=""
build_pid=""
pid=""
pids=()
cleanup() {
    # a failed assertion leaves no pymatrix of this test running
    for p in "$build_pid" "$pid" "${pids[@]}"; do [[ -z $p ]] || kill -KILL "$p" 2>/dev/null || true; done
    reg stop 2>/dev/null || true
    [[ -z $fault_pid ]] || kill "$fault_pid" 2>/dev/null || true
    [[ -z $node_up ]] || "$REPO/scripts/node.sh" stop "$NODE" >/dev/null 2>&1 7>&- || true
    # the tags scenarios 1 and 2 gave the quick start's images in the local store (the images stay)
    docker images --format '{{.Repository}}:{{.Tag}}' | grep -E "^127\.0\.0\.1:$port/pymatrix-faults-" |
        xargs -r docker image rm >/dev/null 2>&1 || true
    rm -rf "$TMP"
}
trap cleanup EXIT
"$PYMATRIX" build "$M" >/dev/null   # the quick start's images, in the local store (cached: a second)

# --- 1. the registry dies during the push --------------------------------------------------------
K=127.0.0.1:$port/pymatrix-faults-kill
"$PYMATRIX" build "$M" --only 3.13-default --push --repository "$K" --progress plain \
    --metadata-file "$TMP/kill.json" >"$TMP/kill.out" 2>"$TMP/kill.err" &
pid=$!
# the first blob upload reaches the registry: the push is under way
for ((i = 0; i < 600; i++)); do grep -qE '"(POST|PATCH|PUT) /v2/pymatrix-faults-kill/blobs/' "$REG/registry.log" && break; sleep 0.05; done
grep -qE '"(POST|PATCH|PUT) /v2/pymatrix-faults-kill/blobs/' "$REG/registry.log" || fail "no blob upload within 30 s"
kill -KILL "$(cat "$REG/registry.pid")"
set +e; wait "$pid"; rc=$?; set -e
pid=""
out=$(cat "$TMP/kill.out"); err=$(cat "$TMP/kill.err")
assert_eq 3 "$rc" "registry killed during the push: the build failed, exit 3"
assert_contains "$out" "3.13-default  failed" "summary: failed"
assert_contains "$out$err" "to registry 127.0.0.1:$port failed" "the error names the registry"
echo "# $(grep -m1 "to registry 127.0.0.1:$port failed" <<<"$out$err")"
assert_eq "failed" "$(jq -r '.builds[0].status' "$TMP/kill.json")" "metadata status: failed"
assert_eq "null" "$(jq -r '.builds[0].pushed' "$TMP/kill.json")" "metadata: nothing recorded as pushed"
rm -f "$REG/registry.pid"
reg start
hash=$("$PYMATRIX" plan "$M" --only 3.13-default --format json | jq -r '.builds[0].config_hash')
assert_not_contains "$(curl -s "http://127.0.0.1:$port/v2/pymatrix-faults-kill/tags/list")" "3.13.5-default-${hash:0:12}" \
    "no config-hash tag in the registry after the killed push"
run "$PYMATRIX" build "$M" --only 3.13-default --push --repository "$K"
assert_eq 0 "$rc" "after a restart, a re-run exits 0 ($err)"
assert_contains "$out" "pushed 3.13-default: $K@sha256:" "the re-run pushes it"
assert_contains "$out" "3.13-default  cached" "without building it"

# --- 2. two build --push of one matrix at once -----------------------------------------------------
T=127.0.0.1:$port/pymatrix-faults-twice
for n in 1 2; do
    "$PYMATRIX" build "$M" --push --repository "$T" --progress plain --metadata-file "$TMP/twice-$n.json" \
        >"$TMP/twice-$n.out" 2>"$TMP/twice-$n.err" &
    pids[n]=$!
done
for n in 1 2; do
    set +e; wait "${pids[n]}"; rc=$?; set -e
    pids[n]=""
    assert_eq 0 "$rc" "concurrent build --push $n exits 0 ($(cat "$TMP/twice-$n.err"; grep -h 'FAILED' "$TMP/twice-$n.out"))"
done
for name in 3.13-default 3.13-opt-v3; do
    hash_tag=$(jq -r --arg n "$name" '.builds[] | select(.name == $n) | .tags[-1]' "$TMP/twice-1.json")
    served=$(curl -sfI -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
        "http://127.0.0.1:$port/v2/pymatrix-faults-twice/manifests/${hash_tag##*:}" | tr -d '\r' | sed -n 's/^Docker-Content-Digest: //Ip')
    d1=$(jq -r --arg n "$name" '.builds[] | select(.name == $n) | .digest' "$TMP/twice-1.json")
    d2=$(jq -r --arg n "$name" '.builds[] | select(.name == $n) | .digest' "$TMP/twice-2.json")
    assert_eq "$served" "$d1" "$name: run 1 recorded the digest the config-hash tag names"
    assert_eq "$served" "$d2" "$name: run 2 recorded the same digest"
done

# --- 3. a rate-limited registry during the build-once lookup ---------------------------------------
fport=$((port + 1))
python3 "$E2E/fault_registry.py" "$fport" 429 2>"$TMP/fault.log" &
fault_pid=$!
for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$fport/v2/" && break; sleep 0.1; done
run "$PYMATRIX" build "$M" --only 3.13-default --push --repository "127.0.0.1:$fport/pymatrix-faults"
assert_eq 5 "$rc" "a 429 during the build-once lookup exits 5"
assert_contains "$err" "registry 127.0.0.1:$fport did not say whether it holds 127.0.0.1:$fport/pymatrix-faults:3.13.5-default" \
    "the registry and reference named"
assert_contains "$err" "rate-limited (429 Too Many Requests; transient, retry later)" "worded as rate-limited, transient"
assert_not_contains "$out" "log:" "nothing built"

# --- 4. the engine restarted under a build, on a node of this test's own ------------------------
# One run of this suite at a time uses the node (a second one waits): another run's restart or
# stop would break this one's build.
NODES_DIR=${PYMATRIX_NODES_DIR:-/var/lib/pymatrix/nodes}
mkdir -p "$NODES_DIR"
lock_dir=/run/lock   # not under NODES_DIR: the docker context NAME is one per machine
[[ -d $lock_dir ]] || lock_dir=$NODES_DIR
exec 7>"$lock_dir/pymatrix-node-$NODE.e2e-lock"
flock -w 3600 7 || fail "node $NODE: another run of test_faults.sh held it for an hour"
# the lock's descriptor stays with this shell: no child (dockerd above all) may inherit it
node() { "$REPO/scripts/node.sh" "$@" 7>&-; }
on_node() { env -u DOCKER_HOST DOCKER_CONTEXT="$NODE" "$@" 7>&-; }
ndocker() { docker --context "$NODE" "$@" 7>&-; }
SECONDS=0
node_up=1
node start "$NODE" >"$TMP/node.out" 2>&1 || { cat "$TMP/node.out" >&2; fail "node $NODE did not start"; }
echo "# node $NODE started in ${SECONDS} s: $(grep -m1 'engine:' "$TMP/node.out" | sed 's/^ *//')"
echo "# node $NODE holds: $(ndocker system df --format '{{.Type}} {{.Size}}' | paste -sd, -)"

nonce="$(date +%s)$$"
EM="$TMP/engine.toml"
cat >"$EM" <<TOML
[defaults]
repository = "pymatrix-e2e/faults-engine"
[pythons."3.13"]
version = "3.13.5"
source = "$REPO/sources/Python-3.13.5.tar.xz"
sha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
[profiles.restart]
cflags_nodist = "-DPYMATRIX_E2E_NONCE=$nonce"
[matrix]
python = ["3.13"]
profile = ["restart"]
TOML
ehash=$("$PYMATRIX" plan "$EM" --format json | jq -r '.builds[0].config_hash')
ETAGS=("pymatrix-e2e/faults-engine:3.13.5-restart" "pymatrix-e2e/faults-engine:3.13.5-restart-${ehash:0:12}")
# the node's tags of this build's repository and pymatrix's temporary ones, one per line
node_tags() {
    ndocker images --format '{{.Repository}}:{{.Tag}}' | grep -E '^(pymatrix-e2e/faults-engine|pymatrix-unlabelled):' | sort || true
}
# an earlier run that failed before its clean-up may have left its image on the node
stale=$(node_tags)
if [[ -n $stale ]]; then
    echo "# removing what an earlier run left on the node: $(paste -sd' ' <<<"$stale")"
    xargs docker --context "$NODE" image rm <<<"$stale" >/dev/null 7>&-
fi
# wait_log FILE REGEX SECONDS: until a line of FILE matches, while the build runs
wait_log() {
    local i
    for ((i = 0; i < $3 * 5; i++)); do
        grep -qE "$2" "$1" 2>/dev/null && return 0
        kill -0 "$build_pid" 2>/dev/null || fail "the build ended before [$2] in $1: $(tail -n 3 "$1" 2>/dev/null)"
        sleep 0.2
    done
    fail "no line matching [$2] in $1 within $3 s"
}

declare -A said
for how in TERM KILL; do
    restart_args=()
    [[ $how == KILL ]] && restart_args=(--kill)
    logs="$TMP/logs-$how"
    t0=$(date +%s)
    on_node "$PYMATRIX" build "$EM" --progress plain --log-dir "$logs" --metadata-file "$TMP/$how.json" \
        >"$TMP/$how.out" 2>"$TMP/$how.err" &
    build_pid=$!
    wait_log "$logs/3.13-restart.log" '\[build [0-9]+/[0-9]+\] RUN make -j' 1800  # cold node: package install + configure
    wait_log "$logs/3.13-restart.log" "gcc -c .*PYMATRIX_E2E_NONCE=$nonce" 300
    sleep 3
    echo "# SIG$how: make compiling $(( $(date +%s) - t0 )) s after the build started; restarting the engine"
    r0=$(date +%s%N)
    node restart "$NODE" "${restart_args[@]}" >"$TMP/$how.restart" 2>&1 ||
        { cat "$TMP/$how.restart" >&2; fail "SIG$how: node.sh restart $NODE failed"; }
    restart_ms=$(( ($(date +%s%N) - r0) / 1000000 ))
    set +e; wait "$build_pid"; rc=$?; set -e
    build_pid=""
    exit_ms=$(( ($(date +%s%N) - r0) / 1000000 ))
    echo "# SIG$how: engine back in ${restart_ms} ms; pymatrix exited ${exit_ms} ms after the restart began"
    out=$(cat "$TMP/$how.out"); err=$(cat "$TMP/$how.err")
    assert_eq 3 "$rc" "SIG$how: the engine restarted mid-build: the build failed, exit 3 ($err)"
    assert_contains "$out" "3.13-restart  failed" "SIG$how: the summary lists it failed"
    failed_lines=$(grep -c '^==> 3.13-restart FAILED' <<<"$out" || true)
    assert_eq 1 "$failed_lines" "SIG$how: one line says why"
    said[$how]=$(grep -m1 '^==> 3.13-restart FAILED' <<<"$out")
    echo "# ${said[$how]}"
    assert_eq "" "$(node_tags)" "SIG$how: no tag of the build and no pymatrix-unlabelled tag on the node"
    for ((i = 0; i < 50; i++)); do  # the engine's end of the build: its RUN step's processes
        [[ -z "$(pgrep -f "PYMATRIX_E2E_NONCE=$nonce" || true)" ]] && break
        sleep 0.2
    done
    assert_eq "" "$(pgrep -af "PYMATRIX_E2E_NONCE=$nonce" || true)" "SIG$how: no configure/compiler process of the build left"
    assert_eq "failed" "$(jq -r '.builds[0].status' "$TMP/$how.json")" "SIG$how: metadata status: failed"
    assert_eq "||null" "$(jq -r '.builds[0] | "\(.image_id)|\(.digest)|\(.pushed)"' "$TMP/$how.json")" \
        "SIG$how: metadata: no image id, digest or push claimed"
done

# the re-run on the restarted engine builds it
t0=$(date +%s)
run on_node "$PYMATRIX" build "$EM" --log-dir "$TMP/logs-rerun" --metadata-file "$TMP/rerun.json"
echo "# re-run after the restarts: $(( $(date +%s) - t0 )) s"
assert_eq 0 "$rc" "a re-run on the restarted engine exits 0 ($err)"
assert_contains "$out" "3.13-restart  built" "the re-run builds it"
assert_eq "$(printf '%s\n' "${ETAGS[@]}" | sort)" "$(node_tags)" "the node holds both tags of the build, no temporary one"
config_args=$(ndocker image inspect --format '{{index .Config.Labels "io.pymatrix.config-args"}}' "${ETAGS[1]}")
assert_contains "$config_args" "PYMATRIX_E2E_NONCE=$nonce" "the config-args label carries the run's flags"
assert_eq "$config_args" "$(ndocker run --rm --network=none -e PYMATRIX_SKIP_ISA_CHECK=1 "${ETAGS[1]}" \
    python3 -c 'import sys, sysconfig; sys.stdout.write(sysconfig.get_config_var("CONFIG_ARGS"))')" \
    "the config-args label is what the image's interpreter reports"
assert_eq "$ehash" "$(ndocker image inspect --format '{{index .Config.Labels "io.pymatrix.config-hash"}}' "${ETAGS[1]}")" \
    "the config-hash label is the planned hash"
assert_eq "built $(ndocker image inspect --format '{{.Id}}' "${ETAGS[1]}")" \
    "$(jq -r '.builds[0] | "\(.status) \(.image_id)"' "$TMP/rerun.json")" "metadata: built, the node's image id"
assert_eq "" "$(docker images -q "${ETAGS[1]}" 7>&-)" "built on the node, not on the engine the other scenarios use"
# the node's store keeps no image of this run; its build cache stays for the next run, bounded
ndocker image rm "${ETAGS[@]}" >/dev/null
ndocker builder prune -f --keep-storage 4gb >/dev/null
echo "# node $NODE keeps: $(ndocker system df --format '{{.Type}} {{.Size}}' | paste -sd, -)"
node stop "$NODE" >/dev/null
node_up=""
assert_eq "" "$(awk -v d="$NODES_DIR/$NODE" '$5 == d || index($5, d "/") == 1 { print $5 }' /proc/self/mountinfo)" \
    "node stopped: nothing of its engine left mounted"
exec 7>&-

# what a user reads: the failure line says the engine (the daemon, the builder) went away, not
# only buildx's transport error
for how in TERM KILL; do
    why=${said[$how]#*FAILED after * }
    why=${why% (exit *}
    [[ $why =~ [Ee]ngine|[Dd]aemon|[Bb]uilder ]] ||
        fail "SIG$how: the failure line does not say that the engine went away: [$why]"
    ok "SIG$how: the failure line says that the engine went away"
done
done_testing
