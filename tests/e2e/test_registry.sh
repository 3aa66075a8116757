#!/usr/bin/env bash
# The registry pipeline for real: Debian's docker-registry on 127.0.0.1 (started and stopped here,
# on a port of this test's own), `pymatrix build --push --repository`, the tags seen through the
# registry's HTTP API, `check` and `inspect` of the registry reference without pulling, the local
# tags removed, `docker pull` and python3 run from the pulled image, and build once: a second
# `build --push` is `cached`, builds and pushes nothing, in under 2 s. Also: a bad --repository
# (exit 2), a registry that does not answer (exit 5), a readable tag that names another image, and
# the level index (--index): its two platforms, what a plain and a --platform linux/amd64/v3 pull get.
# Uses the quick start's 3.13-default image (built by test_quickstart.sh; built here if missing) and,
# for the index, its 3.13-opt-v3 (built by the index's build --push if missing).
source "$(dirname "$0")/lib.sh"
cd "$TMP"
M="$REPO/matrices/quickstart.toml"
ONLY=(--only 3.13-default)

port=$(e2e_port 6100 800)   # test_isa_gate.sh uses 5100-5899 (both +20000 on a build node: lib.sh)
REG="$TMP/registry"
PYMATRIX_REGISTRY_PORT=$port "$REPO/scripts/registry.sh" start "$REG" >/dev/null
trap 'PYMATRIX_REGISTRY_PORT='$port' "$REPO/scripts/registry.sh" stop "$REG" >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT
R=127.0.0.1:$port/pymatrix-e2e
API=http://127.0.0.1:$port/v2/pymatrix-e2e
writes() { grep -cE '\] "(PUT|POST|PATCH|DELETE) ' "$REG/registry.log" || true; }  # registry access log

hash="$("$PYMATRIX" plan "$M" --format json | jq -r '.builds[] | select(.name == "3.13-default") | .config_hash')"
h12=${hash:0:12}
if ! docker image inspect "pymatrix/cpython:3.13.5-default-$h12" >/dev/null 2>&1; then
    echo "# pymatrix/cpython:3.13.5-default-$h12 is not in the store: building it (minutes)"
    "$PYMATRIX" build "$M" "${ONLY[@]}" >/dev/null
fi
local_id="$(docker image inspect --format '{{.Id}}' "pymatrix/cpython:3.13.5-default-$h12")"

# bad input first: nothing may reach the registry
run "$PYMATRIX" build "$M" "${ONLY[@]}" --push --repository "127.0.0.1:$port/Pymatrix-E2E"
assert_eq 2 "$rc" "an uppercase --repository exits 2"
assert_contains "$err" "--repository: '127.0.0.1:$port/Pymatrix-E2E': repository path components must be lowercase" \
    "the message names the flag"
closed=$((port + 1000))
while curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$closed/v2/"; do closed=$((closed + 1)); done
run "$PYMATRIX" build "$M" "${ONLY[@]}" --push --repository "127.0.0.1:$closed/pymatrix-e2e"
assert_eq 5 "$rc" "a registry that does not answer exits 5"
assert_eq 1 "$(wc -l <<<"$err")" "in one line"
assert_contains "$err" "registry 127.0.0.1:$closed does not answer" "naming the registry"
assert_not_contains "$out" "log:" "nothing was built"
for verb in check inspect; do  # the gate and inspect word it as build --push does
    args=(); [[ $verb == check ]] && args=(--target-level x86-64-v2)
    run "$PYMATRIX" "$verb" "127.0.0.1:$closed/pymatrix-e2e:3.13.5-default" "${args[@]}"
    assert_eq 5 "$rc" "$verb of a registry that does not answer exits 5"
    assert_contains "$err" "pymatrix: registry 127.0.0.1:$closed does not answer for 127.0.0.1:$closed/pymatrix-e2e:3.13.5-default: " \
        "$verb names the registry in the same words"
done
assert_eq 0 "$(writes)" "nothing written to the test registry yet"

# Ctrl-C during a push (the first push of the image to an empty registry: every layer travels)
# stops the push: exit 130 promptly, no `docker push` left, nothing recorded as pushed, no
# config-hash tag in the registry; a re-run pushes it.
C=127.0.0.1:$port/pymatrix-e2e-cancel
"$PYMATRIX" build "$M" "${ONLY[@]}" --push --repository "$C" --progress plain --metadata-file "$TMP/cancel.json" \
    >"$TMP/cancel.out" 2>"$TMP/cancel.err" &
pid=$!
for ((i = 0; i < 600; i++)); do pgrep -f "docker push $C:" >/dev/null && break; sleep 0.05; done
pgrep -f "docker push $C:" >/dev/null || fail "no docker push of $C within 30 s ($(cat "$TMP/cancel.err"))"
start=$(date +%s%N)
kill -INT "$pid"
set +e; wait "$pid"; rc=$?; set -e
latency_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "# SIGINT during docker push to exit: ${latency_ms} ms"
assert_eq 130 "$rc" "SIGINT during the push: exit code 130"
(( latency_ms < 15000 )) || fail "SIGINT during the push: pymatrix took ${latency_ms} ms to exit"
ok "SIGINT during the push: exited within 15 s"
assert_eq "" "$(pgrep -af "docker push $C:" || true)" "no docker push process left"
assert_contains "$(cat "$TMP/cancel.out")" "3.13-default  cancelled" "summary: cancelled"
assert_eq "cancelled" "$(jq -r '.builds[0].status' "$TMP/cancel.json")" "metadata status: cancelled"
assert_eq "null" "$(jq -r '.builds[0].pushed' "$TMP/cancel.json")" "metadata: nothing recorded as pushed"
assert_not_contains "$(curl -s "http://127.0.0.1:$port/v2/pymatrix-e2e-cancel/tags/list")" "3.13.5-default-$h12" \
    "the registry has no config-hash tag of the cancelled push"
run "$PYMATRIX" build "$M" "${ONLY[@]}" --push --repository "$C"
assert_eq 0 "$rc" "a re-run after the cancelled push exits 0 ($err)"
assert_contains "$out" "pushed 3.13-default: $C@sha256:" "the re-run pushes it"

# 1. build --push: the image is in the local store (another repository): pushed, not rebuilt
run "$PYMATRIX" build "$M" "${ONLY[@]}" --push --repository "$R" --metadata-file "$TMP/meta.json"
echo "$out" | tail -4
assert_eq 0 "$rc" "build --push exits 0 ($err)"
assert_contains "$out" "3.13-default  cached" "found locally by its config hash, not rebuilt"
assert_not_contains "$out" "log:" "no build ran"
digest="$(jq -r '.builds[0].digest' "$TMP/meta.json")"
[[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || fail "metadata digest [$digest]"
ok "metadata records the manifest digest"
if [[ $ENGINE_STORE == containerd ]]; then  # it pushes the image's index as stored (docs/images.md)
    assert_eq "$local_id" "$digest" "containerd store: the pushed digest is the image's own ID"
else  # 20.10 writes a Docker v2 manifest at push time; its ID is the config digest
    assert_not_contains "$digest" "$local_id" "graph driver: the pushed digest is not the image ID"
fi
assert_eq "$R@$digest" "$(jq -r '.builds[0].pushed' "$TMP/meta.json")" "metadata records the pushed reference"
assert_eq "cached" "$(jq -r '.builds[0].status' "$TMP/meta.json")" "metadata status"
assert_eq "$local_id" "$(jq -r '.builds[0].image_id' "$TMP/meta.json")" "metadata image id is the local image"
assert_eq "[\"$R:3.13.5-default\",\"$R:3.13.5-default-$h12\"]" "$(jq -c '.builds[0].tags' "$TMP/meta.json")" \
    "tags carry the --repository (same schema as plan --format json)"
assert_contains "$out" "pushed 3.13-default: $R@$digest" "the summary names the pushed digest"

# 2. the registry has both tags, serving the recorded digest
assert_eq "[\"3.13.5-default\",\"3.13.5-default-$h12\"]" "$(curl -sf "$API/tags/list" | jq -c '.tags | sort')" \
    "registry tags/list"
for tag in 3.13.5-default "3.13.5-default-$h12"; do
    served="$(manifest_digest "$API/manifests/$tag")"
    assert_eq "$digest" "$served" "the registry serves $tag as the recorded digest"
done

# 3. remove the local tags of that reference; check and inspect read the registry, pulling nothing
docker image rm "$R:3.13.5-default" "$R:3.13.5-default-$h12" >/dev/null
assert_eq "" "$(docker images -q "$R")" "no local image under $R"
run "$PYMATRIX" check "$R:3.13.5-default" --target-level x86-64-v2 --format json
assert_eq 0 "$rc" "check of the registry reference accepts an x86-64 image on x86-64-v2 ($err)"
assert_eq "registry" "$(jq -r '.images[0].source' <<<"$out")" "check read the registry"
run "$PYMATRIX" inspect "$R:3.13.5-default" --format json
assert_eq 0 "$rc" "inspect of the registry reference ($err)"
assert_eq "registry" "$(jq -r .source <<<"$out")" "inspect read the registry"
assert_eq "$digest" "$(jq -r .digest <<<"$out")" "inspect shows the manifest digest"
assert_eq "'--enable-option-checking=fatal'" "$(jq -r .decoded.config_args <<<"$out")" "inspect decodes CONFIG_ARGS"
assert_eq "$hash" "$(jq -r .decoded.config_hash <<<"$out")" "inspect decodes the config hash"
assert_eq "" "$(docker images -q "$R")" "check and inspect pulled nothing"
for verb in check inspect; do  # a tag the registry does not hold: exit 2, in the same words
    args=(); [[ $verb == check ]] && args=(--target-level x86-64-v2)
    run "$PYMATRIX" "$verb" "$R:no-such-tag" "${args[@]}"
    assert_eq 2 "$rc" "$verb of a tag the registry does not hold exits 2"
    assert_eq "pymatrix: IMAGE: $R:no-such-tag: not in the local store and not in the registry 127.0.0.1:$port" "$err" \
        "$verb: not in the registry"
done

# 4. pull and run it
docker pull -q "$R:3.13.5-default" >/dev/null
assert_contains "$(docker image inspect --format '{{json .RepoDigests}}' "$R:3.13.5-default")" "$R@$digest" \
    "the pulled image has the pushed digest"
real="$(in_image "$R:3.13.5-default" python3 -c 'import sys, sysconfig; sys.stdout.write(sysconfig.get_config_var("CONFIG_ARGS"))')"
assert_eq "$real" "$(label "$R:3.13.5-default" io.pymatrix.config-args)" "pulled image: CONFIG_ARGS == its label"
assert_eq "3.13.5" "$(in_image "$R:3.13.5-default" python3 -c 'import platform; print(platform.python_version())')" \
    "pulled image runs python3"

# 5. build once against the registry: cached, nothing built, pushed or pulled, under 2 s
docker image rm "$R:3.13.5-default" >/dev/null
before="$(writes)"
start=$(date +%s%N)
run "$PYMATRIX" build "$M" "${ONLY[@]}" --push --repository "$R"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
assert_eq 0 "$rc" "second build --push exits 0 ($err)"
assert_contains "$out" "3.13-default cached: the registry holds $R:3.13.5-default-$h12 with config hash $h12" \
    "second run: cached in the registry"
assert_contains "$out" "3.13-default  cached" "summary: cached"
assert_contains "$out" "pushed 3.13-default: $R@$digest" "summary: the same digest"
assert_not_contains "$out" "log:" "second run built nothing"
assert_eq "$before" "$(writes)" "second run wrote nothing to the registry"
assert_eq "" "$(docker images -q "$R")" "second run pulled nothing"
echo "# second build --push: ${elapsed_ms} ms"
limit_ms=${PYMATRIX_E2E_CACHED_MS:-2000}   # the goal; raise it only on a machine known to be overloaded
(( elapsed_ms < limit_ms )) ||
    fail "second build --push took ${elapsed_ms} ms (limit ${limit_ms} ms; load average $(cut -d' ' -f1-3 /proc/loadavg))"
ok "second build --push under ${limit_ms} ms"

# 6. the readable tag names another image (an older build): moved back, the hash tag untouched
plain=$(plain_image)
docker tag "$plain" "$R:3.13.5-default"
docker push -q "$R:3.13.5-default" >/dev/null
docker image rm "$R:3.13.5-default" "$plain" >/dev/null
run "$PYMATRIX" build "$M" "${ONLY[@]}" --push --repository "$R"
assert_eq 0 "$rc" "build --push with a moved readable tag exits 0 ($err)"
assert_contains "$out" "3.13-default  cached" "still cached: the hash tag holds the config"
served="$(manifest_digest "$API/manifests/3.13.5-default")"
assert_eq "$digest" "$served" "the readable tag names the build's image again"

# 7. one tag for every level: --index over the quick start's two builds (x86-64 and x86-64-v3)
I=127.0.0.1:$port/pymatrix-e2e-index
run "$PYMATRIX" build "$M" --index 3.13.5
assert_eq 2 "$rc" "--index without --push exits 2"
assert_eq "pymatrix: --index: goes with --push: an index refers to manifests in a registry" "$err" "naming the flag"
run "$PYMATRIX" build "$M" --only 3.13-opt-v3 --push --repository "$I" --index 3.13.5
assert_eq 3 "$rc" "an index without a baseline build exits 3"
assert_contains "$err" "index $I:3.13.5: no build records the baseline level x86-64" "the refusal says why"
assert_eq "404" "$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
    "http://127.0.0.1:$port/v2/pymatrix-e2e-index/manifests/3.13.5")" "no index tag in the registry"
run "$PYMATRIX" build "$M" --push --repository "$I" --index 3.13.5 --metadata-file "$TMP/index.json"
assert_eq 0 "$rc" "build --push --index exits 0 ($err)"
idx="$(jq -r .index.digest "$TMP/index.json")"
assert_contains "$out" "index $I:3.13.5@$idx:" "the index and its digest are printed"
raw="$(docker buildx imagetools inspect --raw "$I:3.13.5")"
case "$(jq -r .mediaType <<<"$raw")" in  # dockerd 20.10 pushes Docker v2 manifests, so buildx makes a manifest list
    application/vnd.docker.distribution.manifest.list.v2+json | application/vnd.oci.image.index.v1+json) ok "an index" ;;
    *) fail "not an index: $(jq -r .mediaType <<<"$raw")" ;;
esac
assert_eq "amd64/linux/ amd64/linux/v3" "$(jq -r '.manifests[].platform | "\(.architecture)/\(.os)/\(.variant // "")"' <<<"$raw" | xargs)" \
    "two entries: linux/amd64 and linux/amd64/v3"
# the containerd image store pushes each build as an index of its image and attestation: the
# entry is the image inside it (pushed_digest keeps the build's own digest)
for b in 3.13-default 3.13-opt-v3; do
    assert_eq "$(jq -r --arg b $b '.builds[] | select(.name == $b) | .digest' "$TMP/index.json")" \
        "$(jq -r --arg b $b '.index.entries[] | select(.build == $b) | .pushed_digest // .digest' "$TMP/index.json")" \
        "$b: its pushed digest is (or holds) its entry"
done
assert_eq "$(jq -r '.manifests[].digest' <<<"$raw" | xargs)" "$(jq -r '.index.entries[].digest' "$TMP/index.json" | xargs)" \
    "the metadata's entry digests are the index's"
# the level of what a plain pull of $1 got: the graph-driver store keeps the pulled image, whose
# label says; the containerd store keeps the index, and inspect shows the default platform's
# config, so the image's own ISA record is read by running it
pulled_level() {
    if [[ $ENGINE_STORE == containerd ]]; then
        docker run --rm --network=none --entrypoint cat "$1" /usr/local/share/pymatrix/isa.json | jq -r .level
    else
        label "$1" io.pymatrix.isa.level
    fi
}
docker pull -q "$I:3.13.5" >/dev/null
assert_eq "x86-64" "$(pulled_level "$I:3.13.5")" "a plain pull on this engine gets the baseline"
docker image rm "$I:3.13.5" >/dev/null
run docker pull -q --platform linux/amd64/v3 "$I:3.13.5"
assert_eq 0 "$rc" "docker pull --platform linux/amd64/v3 ($err)"
if [[ $ENGINE_STORE == containerd ]]; then
    # dockerd 26.1 pulls it, then finds no image for that platform: `docker run --platform
    # linux/amd64/v3` says "No such image". The index's entry says v3, the image's own config names
    # no variant; whether 26.1 wants the variant in the config too or lacks amd64 variants
    # (moby#52773, later) is not settled here. select's REPOSITORY@DIGEST below pulls and runs the
    # v3 entry on every engine.
    echo "# skip: --platform linux/amd64/v3 gets the v3 build (dockerd $(docker version --format '{{.Server.Version}}') cannot run an amd64 variant)"
else
    assert_eq "x86-64-v3" "$(label "$I:3.13.5" io.pymatrix.isa.level)" "--platform linux/amd64/v3 gets the v3 build"
fi
docker image rm "$I:3.13.5" >/dev/null
# the gate on the index: each target CPU gets the entry containerd's platform matching gives it
FIX="${PYMATRIX_FIXTURES:-$REPO/tests/fixtures}/cpuinfo"
d_default="$(jq -r '.index.entries[] | select(.build == "3.13-default") | .digest' "$TMP/index.json")"
d_v3="$(jq -r '.index.entries[] | select(.build == "3.13-opt-v3") | .digest' "$TMP/index.json")"
run "$PYMATRIX" check "$I:3.13.5" --target-cpuinfo "$FIX/linux-rhel7-ivybridge"
assert_eq 0 "$rc" "check on the index: an Ivy Bridge is accepted ($err)"
assert_contains "$out" "ACCEPT  $I:3.13.5: the target gets linux/amd64, and runs it" "it gets the plain entry"
assert_contains "$out" "linux/amd64/v3 (not pulled): cannot run $I@$d_v3: " "and never the v3 one, which it cannot run"
run "$PYMATRIX" check "$I:3.13.5" --target-level x86-64-v3 --format json
assert_eq 0 "$rc" "check --format json on the index, x86-64-v3 ($err)"
assert_eq "true|$I@$d_v3|true true" "$(jq -r '.images[0] | "\(.accepted)|\(.matched)|\([.entries[].gets] | join(" "))"' <<<"$out")" \
    "x86-64-v3: accepted; a variant-matching engine pulls v3; either entry may be pulled"
run "$PYMATRIX" select --target-level x86-64-v3 "$I:3.13.5"
assert_eq "0|$I@$d_v3" "$rc|$out" "select on the index names the v3 entry by digest"
run "$PYMATRIX" select --target-cpuinfo "$FIX/linux-rhel7-ivybridge" "$I:3.13.5"
assert_eq "0|$I@$d_default" "$rc|$out" "select for an Ivy Bridge names the baseline entry"
run "$PYMATRIX" check --format k8s "$I:3.13.5"
assert_eq 0 "$rc" "check --format k8s on the index ($err)"
assert_contains "$err" "$I:3.13.5 is an image index: the nodes that run its linux/amd64 entry" "placed by its floor entry"
assert_contains "$out" '"kubernetes.io/arch"' "an affinity on the node's arch"
# what select names runs where it should: the v3 entry, pulled by digest, refuses an Ivy Bridge
docker pull -q "$I@$d_v3" >/dev/null
run docker run --rm --network=none -v "$FIX/linux-rhel7-ivybridge:/tmp/cpuinfo:ro" -e PYMATRIX_CPUINFO=/tmp/cpuinfo \
    "$I@$d_v3" python3 -c 'print("ran")'
assert_eq 4 "$rc" "the v3 entry's guard refuses an Ivy Bridge with exit 4"
run docker run --rm --network=none -v "$FIX/linux-rhel7-zen:/tmp/cpuinfo:ro" -e PYMATRIX_CPUINFO=/tmp/cpuinfo \
    "$I@$d_v3" python3 -c 'print("ran")'
assert_eq "0|ran" "$rc|$out" "and runs on a Zen"
docker image rm "$I@$d_v3" >/dev/null
done_testing
