#!/usr/bin/env bash
# The builder toolchain for real, without a BOLT or PGO build: the Dockerfile pymatrix generates
# for the seed matrix's 3.13-pgo-lto-bolt build is built only up to its `source` stage (the
# shared apt layer, then bolt-19 in a RUN of its own, then the unpacked CPython 3.13.5), and
# CPython's own ./configure, run there with the generated argv, finds llvm-bolt and merge-fdata.
# Without pymatrix's LLVM_BOLT=/MERGE_FDATA= the same configure stops. About 1 minute once the
# apt layers are cached (the first run downloads bolt-19, 37 MB: add 1-2 minutes).
# The compiler key is checked through plan/generate only (no clang build here: see
# docs/profiles.md for the one real clang-19 build and its time).
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

# the compiler key (tests/e2e/matrices/toolchain.toml), plan and generate only: what a clang PGO
# build gets from the rules table, the same through configure = ["CC=clang-19"], and clang-22's BOLT
run "$PYMATRIX" plan "$REPO/tests/e2e/matrices/toolchain.toml" --format json
assert_eq 0 "$rc" "plan toolchain.toml exits 0 ($err)"
tc_plan="$out"
build_field() { jq -c --arg n "$1" ".builds[] | select(.name == \$n) | .$2" <<<"$tc_plan"; }
assert_eq '["--enable-option-checking=fatal","--enable-optimizations","--with-lto=full","CC=clang-19","LLVM_AR=/usr/lib/llvm-19/bin/llvm-ar","LLVM_PROFDATA=/usr/lib/llvm-19/bin/llvm-profdata"]' \
    "$(build_field 3.13-clang-pgo configure_args)" "compiler = clang-19: CC= and the LLVM tool paths"
assert_eq '["clang-19","llvm-19","libclang-rt-19-dev"]' "$(build_field 3.13-clang-pgo toolchain_packages)" \
    "clang PGO gets the profile runtime"
assert_eq "$(build_field 3.13-clang-pgo configure_args)" "$(build_field 3.13-cc-pgo configure_args)" \
    "configure = [CC=clang-19] gives the same argv"
assert_eq "$(build_field 3.13-clang-pgo toolchain_packages)" "$(build_field 3.13-cc-pgo toolchain_packages)" \
    "... and the same packages"
assert_eq '["clang-22","bolt-22","llvm-22","libclang-rt-22-dev"]' "$(build_field 3.13-clang22-bolt toolchain_packages)" \
    "clang-22 takes LLVM 22's BOLT"
run "$PYMATRIX" generate "$REPO/tests/e2e/matrices/toolchain.toml" --only 3.13-clang-pgo -o gen-tc
assert_eq 0 "$rc" "generate toolchain.toml exits 0 ($err)"
dockerfile="$(cat gen-tc/3.13-clang-pgo/Dockerfile)"
assert_contains "$dockerfile" '"install-toolchain","clang-19","llvm-19","libclang-rt-19-dev"]' "the Dockerfile installs libclang-rt-19-dev"
assert_contains "$dockerfile" '"CC=clang-19","LLVM_AR=/usr/lib/llvm-19/bin/llvm-ar","LLVM_PROFDATA=/usr/lib/llvm-19/bin/llvm-profdata"]' \
    "configure gets CC= and LLVM_PROFDATA="
assert_contains "$dockerfile" 'sysconfig.get_config_var("CC")' "the ISA step uses the compiler CPython was built with"

# the second-edition matrix (matrices/toolchains.toml), plan only: 14 builds, the
# python-build-standalone recipe's BOLT flags reach configure, the JIT build gets LLVM 18
run "$PYMATRIX" plan "$REPO/matrices/toolchains.toml" --format json
assert_eq 0 "$rc" "plan toolchains.toml exits 0 ($err)"
tc2_plan="$out"
tc2_field() { jq -c --arg n "$1" ".builds[] | select(.name == \$n) | .$2" <<<"$tc2_plan"; }
assert_eq 14 "$(jq '.builds | length' <<<"$tc2_plan")" "toolchains.toml: 11 source builds and 3 packaged"
assert_eq '["clang-22","bolt-22","llvm-22","libclang-rt-22-dev"]' "$(tc2_field 3.13-pbs-recipe toolchain_packages)" \
    "the recipe: LLVM 22's clang, BOLT and profile runtime"
pbs_args="$(tc2_field 3.13-pbs-recipe configure_args)"
assert_contains "$pbs_args" '"BOLT_APPLY_FLAGS=-update-debug-sections -skip-funcs=RC4_options/1,sha256_update/.+' \
    "the recipe's BOLT_APPLY_FLAGS start with its skip list"
assert_contains "$pbs_args" '-split-strategy=cdsplit -icf=safe -inline-all' "... and carry its own passes"
assert_contains "$pbs_args" '"CFLAGS=-fstack-protector -fstack-clash-protection -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fdebug-default-version=4"' \
    "frame pointers kept, DWARF 4"
assert_eq '["python3","clang-18","llvm-18"]' "$(tc2_field 3.13-gcc14-pgo-lto-jit toolchain_packages)" \
    "3.13's JIT on trixie: LLVM 18"
assert_eq '"debian:bookworm-slim"' "$(tc2_field 3.13-gcc12-pgo-lto base_image)" "GCC 12 comes with bookworm"
assert_not_contains "$(tc2_field 3.13-clang22-pgo-lto-regrtest configure_args)" "PROFILE_TASK" \
    "clang-22 trained on regrtest: CPython's own PROFILE_TASK, no workload"

# refused before any build: clang-19 with bolt-19 (a known crash) and a compiler the table lacks
printf '[pythons."3.13"]\nversion = "3.13.5"\nsource = "%s"\nsha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"\n[profiles.clang-bolt]\ncompiler = "clang-19"\npgo = true\nbolt = true\n[matrix]\npython = ["3.13"]\nprofile = ["clang-bolt"]\n' \
    "$REPO/sources/Python-3.13.5.tar.xz" > crash.toml
run "$PYMATRIX" plan crash.toml
assert_eq 2 "$rc" "clang-19 + bolt-19 is refused (exit 2)"
assert_contains "$err" "crash.toml:8:8: profiles.clang-bolt.bolt:" "at the bolt key"
assert_contains "$err" "known to crash; instead: compiler = \"gcc\"" "with a way out"
sed 's/"clang-19"/"clang-20"/' crash.toml > unknown.toml
run "$PYMATRIX" plan unknown.toml
assert_eq 2 "$rc" "an unknown compiler is refused (exit 2)"
assert_contains "$err" "unknown.toml:6:12: profiles.clang-bolt.compiler: 'clang-20' is not a compiler pymatrix knows" \
    "naming file:line:key"

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
