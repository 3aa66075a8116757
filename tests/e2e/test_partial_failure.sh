#!/usr/bin/env bash
# One failing build does not stop the others; the run exits 3 and the failed build leaves no tag.
source "$(dirname "$0")/lib.sh"
cd "$TMP"
run "$PYMATRIX" build "$E2E/matrices/three.toml"
echo "$out" | tail -6
assert_eq 3 "$rc" "a matrix with a rejected configure option exits 3"
[[ "$out" =~ 3.13-default\ +(built|cached) ]] || fail "default built"; ok "default built (or cached from the quick start)"
[[ "$out" =~ 3.13-native\ +(built|cached) ]] || fail "native built"; ok "native built (or cached from the ISA suite)"
assert_contains "$out" "3.13-bad-tzpath  failed" "bad-tzpath failed"
assert_contains "$out" "configure: error: --with-tzpath must contain only absolute paths, not usr/share/zoneinfo" \
    "the failure names configure's error"
assert_eq "" "$(docker images -q pymatrix/cpython:3.13.5-bad-tzpath)" "the failed build has no tag"

image=pymatrix/cpython:3.13.5-native
expected="$(cat <<'ARGS'
'--enable-option-checking=fatal' 'PYMATRIX_NOTE=it'\''s "quoted" a=b '\''; touch /usr/local/pwned-quote; '\'' "; touch /usr/local/pwned-dquote; "' 'CFLAGS_NODIST=-march=native'
ARGS
)"
real="$(in_image "$image" python3 -c 'import sys, sysconfig; sys.stdout.write(sysconfig.get_config_var("CONFIG_ARGS"))')"
assert_eq "$expected" "$real" "CONFIG_ARGS in the image, as configure quotes it"
assert_eq "$real" "$(label "$image" io.pymatrix.config-args)" "label with quotes, spaces and '=' is byte-identical"
# the quote-breaking attempts were carried inert: the files they would create never appeared
# (/usr/local of the build stage is what the runtime image holds)
assert_eq "" "$(in_image "$image" sh -c 'ls /usr/local | grep pwned || true')" "no injected command ran in the build"

run "$PYMATRIX" build "$E2E/matrices/missing-module.toml"
assert_eq 3 "$rc" "a build missing a stdlib module exits 3"
assert_contains "$out" "stdlib modules missing: readline" "the failure names the missing module"
assert_eq "" "$(docker images -q pymatrix/cpython:3.13.5-no-readline)" "no tag on an incomplete interpreter"
done_testing
