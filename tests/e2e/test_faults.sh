#!/usr/bin/env bash
# Faults during `build --push`, on Debian's docker-registry of this test's own:
# 1. The registry process is killed (SIGKILL) while docker push sends the image: the build fails
#    naming the registry, the run still ends with its summary (exit 3), nothing is recorded as
#    pushed, no config-hash tag is in the registry; after a restart a re-run pushes it, unbuilt.
# 2. Two `pymatrix build --push` of the same matrix at once, as two CI jobs would: both exit 0,
#    and each config-hash tag in the registry names one digest, the one both runs recorded.
# 3. A registry that answers 429 (tests/e2e/fault_registry.py) during the build-once lookup: an
#    error worded as rate-limited, never "not cached", and nothing built.
# Uses the quick start's images (built by test_quickstart.sh; built here if missing).
source "$(dirname "$0")/lib.sh"
cd "$TMP"
M="$REPO/matrices/quickstart.toml"

port=$((8000 + RANDOM % 800))
REG="$TMP/registry"
reg() { PYMATRIX_REGISTRY_PORT=$port "$REPO/scripts/registry.sh" "$1" "$REG" >/dev/null; }
reg start
fault_pid=""
trap 'reg stop 2>/dev/null || true; [[ -z $fault_pid ]] || kill "$fault_pid" 2>/dev/null || true; rm -rf "$TMP"' EXIT
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
    assert_eq 0 "$rc" "concurrent build --push $n exits 0 ($(cat "$TMP/twice-$n.err"))"
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
done_testing
