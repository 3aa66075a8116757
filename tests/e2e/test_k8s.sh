#!/usr/bin/env bash
# Kubernetes placement for real: `check --format k8s` on the quick start's images (built here, or
# cached from e2e_quickstart), on their `docker save` archive without a daemon, and on archives
# carrying the labels of v2, v4 and -march=native builds; the YAML parsed with python3-yaml and
# checked against the Kubernetes shape (k8s_affinity.py); examples/k8s/deployment.yaml kept equal
# to the output; a cpuinfo of the wrong architecture refused as "features unknown (emulated?)".
source "$(dirname "$0")/lib.sh"
FIX="${PYMATRIX_FIXTURES:-$REPO/tests/fixtures}/cpuinfo"
AFF="$E2E/k8s_affinity.py"
cd "$TMP"
V1=pymatrix/cpython:3.13.5-default
V3=pymatrix/cpython:3.13.5-opt-v3
ARCH='kubernetes.io/arch=amd64'
CPUID=feature.node.kubernetes.io/cpu-cpuid

run "$PYMATRIX" build "$REPO/matrices/quickstart.toml"
assert_eq 0 "$rc" "quick start images built or cached ($err)"

# NFD >= 0.19 (the default): arch + the level label
run "$PYMATRIX" check $V3 --format k8s
assert_eq 0 "$rc" "check --format k8s exits 0 ($err)"
printf '%s\n' "$out" >v3.yaml
assert_eq "$ARCH $CPUID.X86_64_V3=true" "$(python3 "$AFF" affinity v3.yaml)" "v3: the X86_64_V3 label, valid affinity"
assert_eq "" "$err" "v3: nothing to configure, no note"
run "$PYMATRIX" check $V1 --format k8s --nfd v0.19.0
assert_eq 0 "$rc" "default image placed"
printf '%s\n' "$out" >v1.yaml
assert_eq "x86-64" "$(label $V1 io.pymatrix.isa.level)" "the default build is baseline x86-64"
assert_eq "$ARCH $CPUID.X86_64_V1=true" "$(python3 "$AFF" affinity v1.yaml)" "baseline: X86_64_V1"

# older NFD: per-feature labels, and the nfd-worker configuration that publishes the hidden ones
run "$PYMATRIX" check $V3 --format k8s --nfd legacy
assert_eq 0 "$rc" "--nfd legacy exits 0"
printf '%s\n' "$out" >v3-legacy.yaml
want="$ARCH"
for f in AVX AVX2 BMI1 BMI2 CX16 F16C FMA3 LAHF LZCNT MOVBE POPCNT SSE3 SSE4 SSE42 SSSE3 XSAVE; do want+=" $CPUID.$f=true"; done
assert_eq "$want" "$(python3 "$AFF" affinity v3-legacy.yaml)" "legacy v3: one label per feature beyond the baseline"
assert_contains "$err" "NFD does not publish BMI1 BMI2 CX16 F16C LZCNT POPCNT SSE3 SSE4 SSE42 SSSE3 by default" "stderr names the hidden labels"
blacklist=" $(python3 "$AFF" nfd-config v3-legacy.yaml) "
assert_eq " AVX10 CLMUL CMOV ERMS HTT MMX MMXEXT NX RDRAND RDSEED RDTSCP SGX SGXLC SSE SSE2 TDX_GUEST " "$blacklist" \
    "the nfd-worker configuration keeps the rest of NFD's default blacklist (parsed as YAML)"
run "$PYMATRIX" check $V3 --format k8s --nfd 0.18.3
assert_eq "$(cat v3-legacy.yaml)" "$out" "--nfd 0.18.3 is the legacy mode"

# two images: two YAML documents
run "$PYMATRIX" check $V1 $V3 --format k8s
assert_eq 0 "$rc" "two images"
printf '%s\n' "$out" >two.yaml
assert_eq "$ARCH $CPUID.X86_64_V1=true
$ARCH $CPUID.X86_64_V3=true" "$(python3 "$AFF" affinity two.yaml)" "one document per image"

# the example Deployment carries exactly this output
assert_eq "$(python3 "$AFF" affinity v3.yaml)" "$(python3 "$AFF" deployment "$REPO/examples/k8s/deployment.yaml")" \
    "examples/k8s/deployment.yaml: a valid Deployment with the affinity check prints"
assert_contains "$(sed 's/^      //' "$REPO/examples/k8s/deployment.yaml")" "$(cat v3.yaml)" \
    "the example's block is the output, byte for byte, indented by 6"

# a docker save archive, no daemon
docker save -o v3.tar $V3
DOCKER_HOST=unix:///nonexistent.sock run "$PYMATRIX" check v3.tar --format k8s
assert_eq 0 "$rc" "archive placed without a daemon ($err)"
assert_eq "# v3.tar: $(head -1 v3.yaml | cut -d' ' -f3-)" "$(head -1 <<<"$out")" "archive: the comment names the archive"
assert_eq "$(tail -n +2 v3.yaml)" "$(tail -n +2 <<<"$out")" "archive: the same affinity as the local image"

# archives with the labels v2, v4 and -march=native builds carry (config + manifest, no layers)
baseline="cmov cx8 fpu fxsr mmx sse sse2"
v2="$baseline cx16 lahf_lm pni popcnt sse4_1 sse4_2 ssse3"
v4="$v2 abm avx avx2 bmi1 bmi2 f16c fma movbe xsave avx512bw avx512cd avx512dq avx512f avx512vl"
native="$v4 aes avx512_vbmi2 clflushopt pclmulqdq sha_ni"
labelled_archive() {  # NAME LEVEL FEATURES
    python3 - "$1" "$2" "$3" <<'EOF'
import io, json, sys, tarfile
name, level, features = sys.argv[1:]
config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Labels": {
    "io.pymatrix.isa.arch": "x86_64", "io.pymatrix.isa.level": level, "io.pymatrix.isa.features": features}}}).encode()
manifest = json.dumps([{"Config": "config.json", "RepoTags": [f"e2e/{name}:1"], "Layers": []}]).encode()
with tarfile.open(f"{name}.tar", "w") as tar:
    for member, data in (("config.json", config), ("manifest.json", manifest)):
        info = tarfile.TarInfo(member)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
EOF
}
labelled_archive v2 x86-64-v2 "$v2"
labelled_archive v4 x86-64-v4 "$v4"
labelled_archive native x86-64-v4 "$native"
DOCKER_HOST=unix:///nonexistent.sock run "$PYMATRIX" check v2.tar v4.tar native.tar --format k8s
assert_eq 0 "$rc" "v2, v4, native archives placed ($err)"
printf '%s\n' "$out" >levels.yaml
assert_eq "$ARCH $CPUID.X86_64_V2=true
$ARCH $CPUID.X86_64_V4=true
$ARCH $CPUID.X86_64_V4=true $CPUID.AESNI=true $CPUID.AVX512VBMI2=true $CPUID.CLMUL=true $CPUID.SHA=true" \
    "$(python3 "$AFF" affinity levels.yaml)" "v2, v4, and native = v4 + its extras"
assert_contains "$err" "native.tar: NFD has no label for clflushopt" "native: the feature NFD cannot label named"
assert_contains "$err" "native.tar: NFD does not publish CLMUL by default" "native: CLMUL needs configuration"
DOCKER_HOST=unix:///nonexistent.sock run "$PYMATRIX" check v2.tar --format k8s --nfd legacy
printf '%s\n' "$out" >v2-legacy.yaml
assert_eq "$ARCH $CPUID.CX16=true $CPUID.LAHF=true $CPUID.POPCNT=true $CPUID.SSE3=true $CPUID.SSE4=true $CPUID.SSE42=true $CPUID.SSSE3=true" \
    "$(python3 "$AFF" affinity v2-legacy.yaml)" "legacy v2"

# refusals: exit codes as documented
run "$PYMATRIX" check $V3 --format k8s --target-level x86-64-v2
assert_eq 2 "$rc" "--format k8s with a target: usage error"
assert_contains "$err" "--target-level: --format k8s prints the nodes an image needs and compares with no target" "the flag named"
run "$PYMATRIX" check $V3 --format k8s --nfd latest
assert_eq 2 "$rc" "a bad --nfd"
assert_contains "$err" "--nfd: 'latest' is neither an NFD version" "--nfd named"
run "$PYMATRIX" check $V3 --nfd 0.19
assert_eq 2 "$rc" "--nfd without --format k8s"
plain=$(plain_image)
run "$PYMATRIX" check $V3 "$plain" --format k8s
docker image rm "$plain" >/dev/null
assert_eq 4 "$rc" "an unlabelled image cannot be placed (fail closed)"
assert_eq "" "$out" "nothing half-written"
assert_contains "$err" "no pymatrix ISA labels" "the reason"

# a cpuinfo of another architecture: features unknown (emulated?), exit 4
run "$PYMATRIX" check $V1 --target-cpuinfo "$FIX/linux-pymatrix-emulated_amd64_on_m1" --format json
assert_eq 4 "$rc" "an x86_64 image against an aarch64-layout cpuinfo is rejected"
assert_eq "true" "$(jq -r '.images[0].features_unknown' <<<"$out")" "features_unknown in the JSON"
assert_contains "$(jq -r '.images[0].reason' <<<"$out")" "features unknown (emulated?)" "its own message"
run "$PYMATRIX" check $V3 --target-cpuinfo "$FIX/linux-pymatrix-xeonphi_knl"
assert_eq 0 "$rc" "v3 image on Knights Landing (partial AVX-512, level v3)"
assert_contains "$out" "x86_64, x86-64-v3" "Knights Landing is x86-64-v3, not v4"
done_testing
