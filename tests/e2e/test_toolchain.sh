#!/usr/bin/env bash
# The builder toolchain for real, without a BOLT or PGO build: the Dockerfile pymatrix generates
# for the seed matrix's 3.13-pgo-lto-bolt build is built only up to its `source` stage (the
# shared apt layer, then bolt-19 in a RUN of its own, then the unpacked CPython 3.13.5), and
# CPython's own ./configure, run there with the generated argv, finds llvm-bolt and merge-fdata.
# Without pymatrix's LLVM_BOLT=/MERGE_FDATA= the same configure stops. About 1 minute once the
# apt layers are cached (the first run downloads bolt-19, 37 MB: add 1-2 minutes).
source "$(dirname "$0")/lib.sh"
cd "$TMP"
IMAGE=pymatrix-e2e/toolchain:bolt-source   # this test's own tag, removed at the end
BUILD=3.13-pgo-lto-bolt

run "$PYMATRIX" plan "$REPO/matrices/seed.toml" --format json
assert_eq 0 "$rc" "plan seed.toml exits 0 ($err)"
plan=$(jq -c --arg n "$BUILD" '.builds[] | select(.name == $n)' <<<"$out")
assert_eq '["--enable-option-checking=fatal","--enable-optimizations","--with-lto","--enable-bolt","LLVM_BOLT=/usr/lib/llvm-19/bin/llvm-bolt","MERGE_FDATA=/usr/lib/llvm-19/bin/merge-fdata"]' \
    "$(jq -c .configure_args <<<"$plan")" "plan: the BOLT build's configure argv carries the tool paths"
assert_eq '["bolt-19"]' "$(jq -c .toolchain_packages <<<"$plan")" "plan: the BOLT build's toolchain packages"
assert_eq '[]' "$(jq -c --arg n 3.13-pgo-lto '.builds[] | select(.name == $n) | .toolchain_packages' <<<"$out")" \
    "plan: the PGO+LTO build needs no toolchain"

run "$PYMATRIX" generate "$REPO/matrices/seed.toml" -o gen
assert_eq 0 "$rc" "generate seed.toml exits 0 ($err)"
ctx="gen/$BUILD"
assert_contains "$(cat "$ctx/Dockerfile")" '"install-toolchain","bolt-19"]' "the Dockerfile installs bolt-19"
cp "$REPO/sources/Python-3.13.5.tar.xz" "$ctx/"

start=$SECONDS
run docker buildx build --load --network=host --target source -t "$IMAGE" "$ctx"
[[ $rc == 0 ]] || tail -n 30 <<<"$err" >&2
assert_eq 0 "$rc" "docker buildx build --target source exits 0"
echo "# build-deps + source stages: $((SECONDS - start)) s"
trap 'docker image rm "$IMAGE" >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT
assert_eq "/usr/lib/llvm-19/bin/llvm-bolt /usr/lib/llvm-19/bin/merge-fdata" \
    "$(in_image "$IMAGE" sh -c 'ls /usr/lib/llvm-19/bin/llvm-bolt /usr/lib/llvm-19/bin/merge-fdata | xargs')" \
    "bolt-19 put llvm-bolt and merge-fdata in /usr/lib/llvm-19/bin"
assert_eq "" "$(in_image "$IMAGE" sh -c 'command -v llvm-bolt merge-fdata || true')" \
    "neither is on PATH under its plain name"

# configure with the exact argv of the generated Dockerfile's RUN ["./configure", ...], up to its
# BOLT checks: configure prints '"Found merge-fdata"' right after finding both tools (else it
# stops with an error there); what it checks after that is not this test's business, so the
# pipe ends there (configure then dies of SIGPIPE).
mapfile -t argv < <(jq -r '.configure_args[]' <<<"$plan")
start=$SECONDS
run docker run --rm --network=none -w /usr/src/python "$IMAGE" \
    sh -c './configure "$@" 2>&1 | sed "/^\"Found merge-fdata\"/q"' configure "${argv[@]}"
echo "# ./configure up to its BOLT checks: $((SECONDS - start)) s"
grep -E '^checking for (llvm-bolt|merge-fdata)|Found (llvm-bolt|merge-fdata)' <<<"$out" || true
assert_contains "$out" "checking for --enable-bolt... yes" "configure: --enable-bolt"
assert_contains "$out" "checking for llvm-bolt... /usr/lib/llvm-19/bin/llvm-bolt" "configure finds llvm-bolt"
assert_contains "$out" "checking for merge-fdata... /usr/lib/llvm-19/bin/merge-fdata" "configure finds merge-fdata"
assert_eq '"Found merge-fdata"' "$(tail -n 1 <<<"$out")" "configure passes its BOLT checks"

# the same argv without pymatrix's assignments: configure cannot find the tools
mapfile -t bare < <(jq -r '.configure_args[] | select(startswith("LLVM_BOLT=") or startswith("MERGE_FDATA=") | not)' <<<"$plan")
run docker run --rm --network=none -w /usr/src/python "$IMAGE" ./configure "${bare[@]}"
assert_eq 1 "$rc" "configure without LLVM_BOLT= fails"
assert_contains "$err" "llvm-bolt is required for a --enable-bolt build but could not be found" "and says why"
done_testing
