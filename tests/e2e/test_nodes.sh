#!/usr/bin/env bash
# Two build nodes (issue 14 item 4): the main engine (docker context `default`) and a second
# engine of this test's own (scripts/node.sh start e2e-nodes, dockerd 20.10 on its own socket and
# data-root), given as `pymatrix build --builder default --builder e2e-nodes --push`. A matrix of
# three real, uncached CPython builds (a cflags_nodist unique to the run) must:
# - use both nodes (the summary's NODE column and --metadata-file's `node`);
# - push every image from the node that built it into one registry of this test's own (the
#   image is in that node's store, not in the other's);
# - land in the registry with truthful labels: the config hash of the plan, the config-args the
#   image's own interpreter reports, and the digest the metadata file records.
# Then a node that dies mid-run (scripts/node.sh crash: SIGKILL to its dockerd, its containerd
# and its builds' processes; the context stays): two of those builds again, without --push, one
# per node, the node's build cache emptied first so that its build is still compiling when the
# node dies. Its build must move once to the other node and be built there, the run exits 0,
# and neither store holds a tag the metadata does not claim.
# Costs three CPython compiles on 2 cores, at most two at once (one per node), and at most one
# more when the moved build is not in the main engine's build cache: 10 to 20 min.
source "$(dirname "$0")/lib.sh"
NODE=e2e-nodes
NODES_DIR=${PYMATRIX_NODES_DIR:-/var/lib/pymatrix/nodes}
port=$(e2e_port 9000 800)   # faults: 8000-8799, cli_errors: 7000-7899
REG="$TMP/registry"
reg() { PYMATRIX_REGISTRY_PORT=$port "$REPO/scripts/registry.sh" "$1" "$REG" >/dev/null; }
node_up=""
cleanup() {
    reg stop 2>/dev/null || true
    [[ -z $node_up ]] || "$REPO/scripts/node.sh" stop "$NODE" >/dev/null 2>&1 7>&- || true
    rm -rf "$TMP"
}
trap cleanup EXIT
reg start
mkdir -p "$NODES_DIR"
lock_dir=/run/lock
[[ -d $lock_dir ]] || lock_dir=$NODES_DIR
exec 7>"$lock_dir/pymatrix-node-$NODE.e2e-lock"
flock -w 3600 7 || fail "node $NODE: another run held it for an hour"
ndocker() { docker --context "$NODE" "$@" 7>&-; }
"$REPO/scripts/node.sh" start "$NODE" >"$TMP/node.out" 2>&1 7>&- || { cat "$TMP/node.out" >&2; fail "node $NODE did not start"; }
node_up=1

nonce="$(date +%s)$$"
M="$TMP/nodes.toml"
R="127.0.0.1:$port/pymatrix-e2e-nodes"
{
    printf '[defaults]\nrepository = "%s"\n' "$R"
    printf '[pythons."3.13"]\nversion = "3.13.5"\nsource = "%s"\n' "$REPO/sources/Python-3.13.5.tar.xz"
    printf 'sha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"\n'
    for k in 1 2 3; do printf '[profiles.n%s]\ncflags_nodist = "-DPYMATRIX_E2E_NONCE=%s -DPYMATRIX_E2E_BUILD=%s"\n' "$k" "$nonce" "$k"; done
    printf '[matrix]\npython = ["3.13"]\nprofile = ["n1", "n2", "n3"]\n'
} >"$M"
"$PYMATRIX" plan "$M" --format json >"$TMP/plan.json"

start=$SECONDS
run "$PYMATRIX" build "$M" --builder default --builder "$NODE" --push --jobs 1 --progress plain \
    --log-dir "$TMP/logs" --metadata-file "$TMP/meta.json"
echo "# three builds over two nodes in $((SECONDS - start)) s"
assert_eq 0 "$rc" "three builds over two nodes exit 0 ($(tail -5 <<<"$err"))"
assert_contains "$out" "NODE" "the summary has a NODE column"
assert_eq "built built built" "$(jq -r '[.builds[].status] | join(" ")' "$TMP/meta.json")" "every build built"
assert_eq "default $NODE" "$(jq -r '[.builds[].node] | unique | join(" ")' "$TMP/meta.json")" "both nodes built"
for i in 0 1 2; do
    name=$(jq -r ".builds[$i].name" "$TMP/meta.json")
    node=$(jq -r ".builds[$i].node" "$TMP/meta.json")
    hash=$(jq -r ".builds[$i].config_hash" "$TMP/plan.json")
    tag=$(jq -r ".builds[$i].tags[-1]" "$TMP/plan.json")
    digest=$(jq -r ".builds[$i].digest" "$TMP/meta.json")
    assert_eq "$R@$digest" "$(jq -r ".builds[$i].pushed" "$TMP/meta.json")" "$name: pushed by digest"
    assert_eq "$digest" "$(manifest_digest "http://127.0.0.1:$port/v2/pymatrix-e2e-nodes/manifests/${tag##*:}")" \
        "$name: the registry serves the digest the metadata records"
    labels=$(docker buildx imagetools inspect --format '{{json .Image.Config.Labels}}' "$tag")
    assert_eq "$hash" "$(jq -r '."io.pymatrix.config-hash"' <<<"$labels")" "$name: the registry's config-hash label is the plan's"
    other=$([[ $node == default ]] && echo "$NODE" || echo default)
    assert_eq "" "$(docker --context "$other" images -q "$tag" 7>&-)" "$name: not in the store of node $other"
    real=$(docker --context "$node" run --rm --network=none -e PYMATRIX_SKIP_ISA_CHECK=1 --entrypoint python3 "$tag" \
        -c 'import sys, sysconfig; sys.stdout.write(sysconfig.get_config_var("CONFIG_ARGS"))' 7>&-)
    assert_eq "$real" "$(jq -r '."io.pymatrix.config-args"' <<<"$labels")" \
        "$name: built on $node, its config-args label is what its interpreter reports"
    assert_contains "$real" "PYMATRIX_E2E_BUILD=$((i + 1))" "$name: the image of its own profile"
done
for i in 0 1 2; do
    node=$(jq -r ".builds[$i].node" "$TMP/meta.json")
    jq -r ".builds[$i].tags[]" "$TMP/plan.json" | xargs docker --context "$node" image rm >/dev/null 7>&-
done

# --- a node dies mid-run. Two builds the main engine built above (they are in its build cache,
# so the moved one costs no compile there), or one of them and one the node built.
mapfile -t again < <(jq -r '[.builds[] | select(.node == "default") | .name] + [.builds[] | select(.node != "default") | .name] | .[0:2][]' "$TMP/meta.json")
ndocker builder prune -af >/dev/null   # the node compiles its build from the start: it runs for minutes
"$PYMATRIX" build "$M" --only "${again[0]}" --only "${again[1]}" --builder default --builder "$NODE" --jobs 1 \
    --progress plain --log-dir "$TMP/logs2" --metadata-file "$TMP/meta2.json" >"$TMP/out2" 2>"$TMP/err2" 7>&- &
bpid=$!
for ((t = 0; t < 1800; t++)); do
    [[ $(grep -c '^==> \[[0-9]/2\] .* (log: ' "$TMP/out2" "$TMP/err2" | awk -F: '{n += $2} END {print n}') -ge 2 ]] && break
    kill -0 "$bpid" 2>/dev/null || break
    sleep 1
done
sleep 30   # the node's build is compiling
kill -0 "$bpid" 2>/dev/null || fail "the run ended before the node could die: $(tail -5 "$TMP/err2")"
"$REPO/scripts/node.sh" crash "$NODE" >"$TMP/crash.out" 2>&1 7>&- || { cat "$TMP/crash.out" >&2; fail "node.sh crash $NODE"; }
start=$SECONDS
set +e
wait "$bpid"
rc=$?
set -e
echo "# after the node died, the run ended in $((SECONDS - start)) s"
out=$(cat "$TMP/out2") err=$(cat "$TMP/err2")
assert_eq 0 "$rc" "the run survives a dead node ($(tail -5 <<<"$err"))"
assert_contains "$out$err" "node $NODE stopped answering" "the run says which node died"
assert_contains "$out$err" "moves to another node" "and that its build moved"
assert_eq "built built" "$(jq -r '[.builds[].status] | join(" ")' "$TMP/meta2.json")" "both builds built"
assert_eq "default" "$(jq -r '[.builds[].node] | unique | join(" ")' "$TMP/meta2.json")" "the metadata says the main engine built both"
"$REPO/scripts/node.sh" start "$NODE" >"$TMP/node.out" 2>&1 7>&- || { cat "$TMP/node.out" >&2; fail "node $NODE did not start again"; }
for name in "${again[@]}"; do
    i=$(jq -r --arg n "$name" '[.builds[].name] | index($n)' "$TMP/plan.json")
    tag=$(jq -r ".builds[$i].tags[-1]" "$TMP/plan.json")
    assert_eq "" "$(ndocker images -q "$tag")" "$name: no tag in the store of the node that died"
    real=$(docker run --rm --network=none -e PYMATRIX_SKIP_ISA_CHECK=1 --entrypoint python3 "$tag" \
        -c 'import sys, sysconfig; sys.stdout.write(sysconfig.get_config_var("CONFIG_ARGS"))' 7>&-)
    assert_eq "$real" "$(label "$tag" io.pymatrix.config-args)" \
        "$name: its config-args label is what its interpreter reports"
    jq -r ".builds[$i].tags[]" "$TMP/plan.json" | xargs docker image rm >/dev/null 7>&-
done
# nothing of this test stays in either store; the node's build cache stays for the next run, bounded
ndocker builder prune -f --keep-storage 4gb >/dev/null
"$REPO/scripts/node.sh" stop "$NODE" >/dev/null 7>&-
node_up=""
done_testing
