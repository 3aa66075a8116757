#!/usr/bin/env bash
# cmake --install gives a package other tooling finds with find_package(pymatrix): examples/embed
# builds against it and lists the quick start's builds.
source "$(dirname "$0")/lib.sh"
: "${PYMATRIX_BUILD_DIR:?set PYMATRIX_BUILD_DIR to the pymatrix CMake build directory}"
cmake --install "$PYMATRIX_BUILD_DIR" --prefix "$TMP/prefix" >/dev/null
[[ -x "$TMP/prefix/bin/pymatrix" ]] || fail "pymatrix binary not installed"
[[ -f "$TMP/prefix/include/pymatrix/plan.hpp" ]] || fail "headers not installed"
ok "install: binary and headers"
cmake -S "$REPO/examples/embed" -B "$TMP/embed" -DCMAKE_PREFIX_PATH="$TMP/prefix" >/dev/null
cmake --build "$TMP/embed" -j2 >/dev/null
ok "examples/embed builds against the installed package"
run "$TMP/embed/list-builds" "$REPO/matrices/quickstart.toml"
assert_eq 0 "$rc" "list-builds exits 0"
plan="$("$PYMATRIX" plan "$REPO/matrices/quickstart.toml" --format json)"
h1="$(jq -r '.builds[0].config_hash[0:12]' <<<"$plan")"
h2="$(jq -r '.builds[1].config_hash[0:12]' <<<"$plan")"
assert_eq "3.13-default 3.13.5 $h1 pymatrix/cpython:3.13.5-default
3.13-opt-v3 3.13.5 $h2 pymatrix/cpython:3.13.5-opt-v3" "$out" "list-builds lists both builds like plan"
printf '[matrix\n' > "$TMP/bad.toml"
run "$TMP/embed/list-builds" "$TMP/bad.toml"
assert_eq 2 "$rc" "the library's ConfigError reaches the embedding program"
assert_contains "$err" "$TMP/bad.toml:1:" "with file:line"
done_testing
