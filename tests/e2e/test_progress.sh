#!/usr/bin/env bash
# --progress: plain (also what auto gives when stdout is not a terminal), quiet, and tty through a
# real pseudo-terminal (script(1)): the live line of the running build, the overall bar, colours,
# and NO_COLOR removing them (cursor movement stays). Matrix: two cached builds and one that
# configure stops within seconds (tests/e2e/matrices/progress.toml).
source "$(dirname "$0")/lib.sh"
cd "$TMP"
m="$E2E/matrices/progress.toml"
esc=$'\x1b'

run "$PYMATRIX" build "$m"   # stdout is a file: auto = plain
assert_eq 3 "$rc" "auto (not a terminal): exit 3"
assert_contains "$out" "==> [1/3] 3.13-default cached: pymatrix/cpython:3.13.5-default-" "plain: cached line"
assert_contains "$out" "==> [3/3] 3.13-no-build-python (log: .pymatrix/logs/3.13-no-build-python.log)" "plain: build start line"
assert_contains "$out" "[3.13-no-build-python] build-deps 2/2: CACHED RUN apt-get update" "plain: cached apt step line"
assert_contains "$out" "[3.13-no-build-python] build 2/" "plain: step line prefixed with the build"
assert_contains "$out" 'RUN ["./configure","--enable-option-checking=fatal","--with-build-python=/nonexistent/python3"]' \
    "plain: the configure step"
assert_contains "$out" "==> 3.13-no-build-python FAILED after" "plain: failure line"
assert_contains "$out" "3.13-no-build-python  failed" "plain: summary row"
assert_not_contains "$out" "$esc" "plain: no escape sequences"

run "$PYMATRIX" build "$m" --progress quiet
assert_eq 3 "$rc" "quiet: exit 3"
assert_not_contains "$out" "==>" "quiet: no event lines"
assert_not_contains "$out" "[3.13-" "quiet: no step lines"
assert_contains "$out" "NAME                  STATUS" "quiet: the summary table"
assert_contains "$out" "3.13-opt-v3           cached" "quiet: cached row"
assert_contains "$err" "pymatrix: 3.13-no-build-python failed: configure: error: invalid or missing build python binary" \
    "quiet: the error on stderr"

# tty: a real pseudo-terminal; -e passes the exit code through
tty_run() {  # ENV... -> $rc, $out (everything the terminal received)
    set +e
    env "$@" script -qec "$PYMATRIX build $m --progress auto" /dev/null >"$TMP/tty.out" 2>&1
    rc=$?
    set -e
    out="$(cat "$TMP/tty.out")"
}
tty_run -u NO_COLOR COLUMNS=120
assert_eq 3 "$rc" "tty: exit 3"
[[ "$out" =~ \[#+\.+\]\ 2/3\ done\ +.*2\ cached.*0\ failed.*\ 1\ running ]] || fail "tty: overall bar with 2/3 done, 2 cached, 1 running: $out"
ok "tty: overall bar (2/3 done, 2 cached, 1 running)"
[[ "$out" =~ 3.13-no-build-python[^$'\n']*\ +(starting|build-deps|source|build)\ [^$'\n']*[0-9]+s ]] \
    || fail "tty: live line of the running build (name, stage, elapsed): $out"
ok "tty: live line of the running build"
assert_contains "$out" "${esc}[J" "tty: redrawn in place (erase below)"
assert_contains "$out" "A${esc}[J" "tty: cursor moved up to redraw"
assert_contains "$out" "${esc}[32m" "tty: colours on a terminal"
assert_contains "$out" "3.13-no-build-python  failed" "tty: the summary follows"

tty_run NO_COLOR=1 COLUMNS=120
assert_eq 3 "$rc" "tty NO_COLOR: exit 3"
[[ "$out" =~ \[#+\.+\]\ 2/3\ done ]] || fail "tty NO_COLOR: the bar is still drawn"
ok "tty NO_COLOR: the bar is still drawn"
[[ ! "$out" =~ ${esc}\[[0-9\;]*m ]] || fail "tty NO_COLOR: a colour code (ESC [ ... m) remains"
ok "tty NO_COLOR: no colour codes"
assert_contains "$out" "${esc}[J" "tty NO_COLOR: cursor movement stays"
done_testing
