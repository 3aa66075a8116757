#!/usr/bin/env bash
# The deployment gate on real images: x86-64-v3 and -march=native builds checked against real
# cpuinfo dumps, this host, a `docker save` archive, a reference in a real local registry; the
# in-image guard refusing an unfit CPU.
source "$(dirname "$0")/lib.sh"
FIX="${PYMATRIX_FIXTURES:-$REPO/tests/fixtures}/cpuinfo"
[[ -f "$FIX/INDEX.tsv" ]] || fail "cpuinfo fixtures not found in $FIX"
cd "$TMP"
V3=pymatrix/cpython:3.13.5-opt-v3
NATIVE=pymatrix/cpython:3.13.5-native

run "$PYMATRIX" plan "$E2E/matrices/isa.toml"
assert_contains "$err" "3.13-native: march=native: the image will only run on CPUs with every ISA feature of the build host" \
    "plan warns about march=native"
run "$PYMATRIX" build "$E2E/matrices/isa.toml"
assert_eq 0 "$rc" "isa matrix builds ($err)"
assert_contains "$err" "warning: 3.13-native: march=native" "build warns about march=native"

# labels
assert_eq "x86-64-v3" "$(label $V3 io.pymatrix.isa.level)" "v3 image level"
assert_eq "abm avx avx2 bmi1 bmi2 cmov cx16 cx8 f16c fma fpu fxsr lahf_lm mmx movbe pni popcnt sse sse2 sse4_1 sse4_2 ssse3 xsave" \
    "$(label $V3 io.pymatrix.isa.features)" "v3 image features"
assert_eq "x86-64-v3 -> x86-64-v3" "$(label $V3 io.pymatrix.isa.march)" "v3 march label"
march="$(label $NATIVE io.pymatrix.isa.march)"
assert_contains "$march" "native -> " "native march label names the compiler's resolution"
expected_native="$(gcc -march=native -Q --help=target | awk '$1 == "-march=" {print $2}')"
assert_eq "native -> $expected_native" "$march" "native resolves like this host's gcc 12"
host_flags=" $("$PYMATRIX" host --format json | jq -r '.flags | join(" ")') "
# lacking IMAGE: the image's features this host's cpuinfo does not list, space-separated
lacking() { local f out=""; for f in $(label "$1" io.pymatrix.isa.features); do [[ $host_flags == *" $f "* ]] || out+=" $f"; done; echo "${out# }"; }
native_lacking="$(lacking $NATIVE)"
if [[ -z $native_lacking ]]; then
    ok "every native feature is a flag of this host"
else
    # GCC names the host's CPU (znver3 for an AMD EPYC family 26) and enables that arch's whole ISA,
    # while a VM's cpuinfo may hide a flag of it: then only GCC's own macros account for the feature
    echo "# this host's cpuinfo hides $native_lacking, which gcc -march=native (-> $expected_native) enables"
    # below: the gate rejects the native image on this host, naming exactly these flags
fi
assert_contains "$(in_image $NATIVE cat /usr/local/share/pymatrix/isa.json)" '"march_requested": "native"' "isa.json in the image"

# -march written in cflags went to CFLAGS_NODIST: extensions built later do not inherit it
run "$PYMATRIX" plan "$E2E/matrices/isa.toml"
assert_contains "$err" "3.13-cflags-v3: moved '-march=x86-64-v3' from cflags to cflags_nodist" "plan notes the move"
CV3=pymatrix/cpython:3.13.5-cflags-v3
assert_not_contains "$(in_image $CV3 python3 -c 'import sysconfig as s; print(s.get_config_var("CFLAGS"))')" \
    "-march" "cflags-v3: sysconfig CFLAGS has no -march"
# configure keeps the CFLAGS_NODIST it was given as CONFIGURE_CFLAGS_NODIST (Makefile.pre.in)
assert_contains "$(in_image $CV3 python3 -c 'import sysconfig as s; print(s.get_config_var("CONFIGURE_CFLAGS_NODIST"))')" \
    "-O3 -march=x86-64-v3 " "cflags-v3: CPython itself was compiled with it"

# check against fixtures, host, level
run "$PYMATRIX" check $V3 --target-cpuinfo "$FIX/linux-rhel7-zen"
assert_eq 0 "$rc" "v3 image accepted on rhel7-zen"
run "$PYMATRIX" check $V3 --target-cpuinfo "$FIX/linux-rhel7-ivybridge" --format json
assert_eq 4 "$rc" "v3 image rejected on rhel7-ivybridge"
assert_eq "abm avx2 bmi1 bmi2 fma movbe" "$(jq -r '.images[0].missing | join(" ")' <<<"$out")" "missing features listed"
run "$PYMATRIX" check $V3 --target-cpuinfo "$FIX/linux-amazon-neoverse_n1"
assert_eq 4 "$rc" "x86_64 image rejected on aarch64"
assert_contains "$out" "the image is x86_64 and the target CPU is aarch64" "architecture named"
# this host: the native image fits (built for it); the x86-64-v3 one fits when this host's cpuinfo
# lists every feature it needs (a VM may hide one: `abm` on an AMD EPYC family 26 VM)
for image in $NATIVE $V3; do
    missing="$(lacking $image)"
    run "$PYMATRIX" check $image --format json
    if [[ -z $missing ]]; then
        assert_eq 0 "$rc" "$image accepted on this host (its cpuinfo has every feature)"
    else
        assert_eq 4 "$rc" "$image rejected on this host: its cpuinfo lacks $missing"
        assert_eq "$missing" "$(jq -r '.images[0].missing | join(" ")' <<<"$out")" "the missing flags named"
    fi
done
run "$PYMATRIX" check $NATIVE --target-cpuinfo "$FIX/linux-scientific7-k10"
assert_eq 4 "$rc" "native image rejected on k10"
assert_contains "$out" "avx2" "k10 lacks avx2"
run "$PYMATRIX" check $V3 --target-level x86-64-v2
assert_eq 4 "$rc" "v3 image rejected for --target-level x86-64-v2"
assert_contains "$out" "(image needs x86-64-v3, target is x86-64-v2)" "level gap named"
plain=$(plain_image)
run "$PYMATRIX" check "$plain" --target-level x86-64-v4
assert_eq 4 "$rc" "unlabelled image rejected (fail closed)"
run "$PYMATRIX" check "$plain" --target-level x86-64-v4 --allow-unlabelled
assert_eq 0 "$rc" "--allow-unlabelled accepts it"
docker image rm "$plain" >/dev/null

# select
run "$PYMATRIX" select --target-cpuinfo "$FIX/linux-rhel7-ivybridge" pymatrix/cpython:3.13.5-default $V3
assert_eq 0 "$rc" "select on ivybridge"
assert_eq "pymatrix/cpython:3.13.5-default" "$out" "ivybridge gets the baseline image"
run "$PYMATRIX" select --target-cpuinfo "$FIX/linux-rhel7-zen" pymatrix/cpython:3.13.5-default $V3
assert_eq "$V3" "$out" "zen gets the x86-64-v3 image"
run "$PYMATRIX" select --target-cpuinfo "$FIX/linux-scientific7-k10" $V3 $NATIVE
assert_eq 4 "$rc" "select exits 4 when no image fits"

# a docker save archive, read without the daemon
docker save -o "$TMP/v3.tar" $V3
DOCKER_HOST=unix:///nonexistent.sock run "$PYMATRIX" check "$TMP/v3.tar" --target-cpuinfo "$FIX/linux-rhel7-ivybridge" --format json
assert_eq 4 "$rc" "archive rejected on ivybridge, no daemon needed"
assert_eq "archive" "$(jq -r '.images[0].source' <<<"$out")" "read as an archive"
DOCKER_HOST=unix:///nonexistent.sock run "$PYMATRIX" check "$TMP/v3.tar" --target-cpuinfo "$FIX/linux-rhel7-haswell"
assert_eq 0 "$rc" "archive accepted on haswell"
DOCKER_HOST=unix:///nonexistent.sock run "$PYMATRIX" inspect "$TMP/v3.tar" --format json
assert_eq 0 "$rc" "inspect reads the archive too, no daemon needed ($err)"
assert_eq "archive" "$(jq -r .source <<<"$out")" "inspect: read as an archive"
assert_eq "$(docker image inspect --format '{{index .Config.Labels "io.pymatrix.isa.level"}}' $V3)" \
    "$(jq -r .decoded.isa.level <<<"$out")" "inspect of the archive: the image's own ISA level label"

# a real local registry (Debian's docker-registry), started and stopped here
port=$(e2e_port 5100 800)
PYMATRIX_REGISTRY_PORT=$port "$REPO/scripts/registry.sh" start "$TMP/registry" >/dev/null
trap 'PYMATRIX_REGISTRY_PORT='$port' "$REPO/scripts/registry.sh" stop "$TMP/registry" >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT
REF=127.0.0.1:$port/pymatrix/cpython:3.13.5-opt-v3
docker tag $V3 $REF
docker push -q $REF >/dev/null
docker image rm $REF >/dev/null
run "$PYMATRIX" check $REF --target-cpuinfo "$FIX/linux-rhel7-ivybridge" --format json
assert_eq 4 "$rc" "registry reference rejected on ivybridge"
assert_eq "registry" "$(jq -r '.images[0].source' <<<"$out")" "labels read from the registry"
[[ -z "$(docker images -q $REF)" ]] || fail "check pulled the image"
ok "nothing pulled"
run "$PYMATRIX" check $REF --target-cpuinfo "$FIX/linux-rhel7-zen"
assert_eq 0 "$rc" "registry reference accepted on zen"

# the guard inside the image
set +e
msg="$(docker run --rm --network=none -v "$FIX/linux-rhel7-ivybridge:/tmp/cpuinfo:ro" -e PYMATRIX_CPUINFO=/tmp/cpuinfo \
    $V3 python3 -c 'print("ran")' 2>&1)"
grc=$?
set -e
assert_eq 4 "$grc" "the guard refuses an unfit CPU with exit 4"
assert_eq "pymatrix: refusing to start: this CPU lacks ISA features the interpreter in this image was compiled for: abm avx2 bmi1 bmi2 fma movbe (PYMATRIX_SKIP_ISA_CHECK=1 runs it anyway)" \
    "$msg" "the guard's one line"
assert_eq "ran" "$(docker run --rm --network=none -v "$FIX/linux-rhel7-zen:/tmp/cpuinfo:ro" -e PYMATRIX_CPUINFO=/tmp/cpuinfo \
    $V3 python3 -c 'print("ran")')" "the guard lets a fit CPU run"
assert_eq "ran" "$(docker run --rm --network=none -v "$FIX/linux-rhel7-ivybridge:/tmp/cpuinfo:ro" -e PYMATRIX_CPUINFO=/tmp/cpuinfo \
    -e PYMATRIX_SKIP_ISA_CHECK=1 $V3 python3 -c 'print("ran")')" "PYMATRIX_SKIP_ISA_CHECK skips it"
done_testing
