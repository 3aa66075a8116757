#!/usr/bin/env bash
# Ctrl-C and SIGTERM during a real, uncached build. Each run builds a profile whose cflags_nodist
# carries a value unique to the run (so BuildKit must really configure and compile), waits until
# the log shows the compiler running, sends the signal to pymatrix only, and checks: exit code
# 128 + signal, promptly; no `docker buildx` process and no compiler process of that build left;
# no tag of that build and no temporary pymatrix-unlabelled tag. A third run sends two SIGINTs:
# the second exits at once. Costs about one CPython configure per run, a few seconds of compile.
source "$(dirname "$0")/lib.sh"
cd "$TMP"
pid=""
trap '[[ -n "$pid" ]] && kill -KILL "$pid" 2>/dev/null; rm -rf "$TMP"' EXIT  # a failed assertion leaves no build running
nonce="$(date +%s)$$"

# matrix NAME VALUE: a one-build matrix in $TMP/NAME.toml with a unique cflags_nodist
matrix() {
    cat >"$TMP/$1.toml" <<TOML
[defaults]
repository = "pymatrix-e2e/cancel"
[pythons."3.13"]
version = "3.13.5"
source = "$REPO/sources/Python-3.13.5.tar.xz"
sha256 = "93e583f243454e6e9e4588ca2c2662206ad961659863277afcdb96801647d640"
[profiles.$1]
cflags_nodist = "-DPYMATRIX_E2E_NONCE=$2"
[matrix]
python = ["3.13"]
profile = ["$1"]
TOML
}

# wait_log FILE REGEX SECONDS: until a line of FILE matches
wait_log() {
    local i
    for ((i = 0; i < $3 * 5; i++)); do
        grep -qE "$2" "$1" 2>/dev/null && return 0
        sleep 0.2
    done
    fail "no line matching [$2] in $1 within $3 s"
}

# descendants PID: the processes PID started, and theirs (docker, buildx), as PID:START words
# (START: the start time in /proc/PID/stat)
descendants() {
    local c
    for c in $(pgrep -P "$1" || true); do
        echo "$c:$(awk '{ print $22 }' "/proc/$c/stat" 2>/dev/null)"
        descendants "$c"
    done
}

# nothing_left NAME VALUE HASH: nothing of the build is left ($children: what pymatrix had started
# when it was signalled, on any engine and whatever their arguments)
nothing_left() {
    local name="$1" value="$2" hash="$3" i
    local left="" p
    for ((i = 0; i < 25; i++)); do  # a killed child may take a moment to go; a zombie has gone
        left=""
        for p in $children; do  # PID:START, so that a PID reused since is not taken for it
            if [[ $(awk '$3 != "Z" { print $22 }' "/proc/${p%%:*}/stat" 2>/dev/null) == "${p#*:}" ]]; then
                left+=" ${p%%:*}: $(tr '\0' ' ' <"/proc/${p%%:*}/cmdline" 2>/dev/null)"
            fi
        done
        [[ -z $left ]] && break
        sleep 0.2
    done
    assert_eq "" "$left" "$name: no docker or buildx process of pymatrix left"
    for ((i = 0; i < 50; i++)); do  # BuildKit stops the RUN step's processes once the client cancelled
        [[ -z "$(pgrep -f "PYMATRIX_E2E_NONCE=$value" || true)" ]] && break
        sleep 0.2
    done
    assert_eq "" "$(pgrep -af "PYMATRIX_E2E_NONCE=$value" || true)" "$name: no configure/compiler process of the build left"
    assert_eq "" "$(docker images -q "pymatrix-e2e/cancel:3.13.5-$name")" "$name: no readable tag"
    assert_eq "" "$(docker images -q "pymatrix-e2e/cancel:3.13.5-$name-${hash:0:12}")" "$name: no config-hash tag"
    assert_eq "" "$(docker images -q "pymatrix-unlabelled:${hash:0:16}")" "$name: no pymatrix-unlabelled tag"
}

for sig in INT TERM; do
    name="cancel-${sig,,}"
    value="${nonce}${sig}"
    matrix "$name" "$value"
    hash="$("$PYMATRIX" plan "$TMP/$name.toml" --format json | jq -r '.builds[0].config_hash')"
    log="$TMP/.pymatrix/logs/3.13-$name.log"
    "$PYMATRIX" build "$TMP/$name.toml" --progress plain >"$TMP/$name.out" 2>"$TMP/$name.err" &
    pid=$!
    # the compile runs: the make step started and gcc compiles a .c file with the unique flag
    wait_log "$log" '\[build [0-9]+/[0-9]+\] RUN make -j' 1800  # configure: ~30 s idle, 10 min on a loaded machine
    wait_log "$log" "gcc -c .*PYMATRIX_E2E_NONCE=$value" 120
    sleep 2
    start=$(date +%s%N)
    children="$(descendants "$pid")"
    [[ -n $children ]] || fail "SIG$sig: pymatrix runs no docker process to cancel"
    kill -"$sig" "$pid"
    set +e; wait "$pid"; rc=$?; set -e
    pid=""
    latency_ms=$(( ($(date +%s%N) - start) / 1000000 ))
    echo "# SIG$sig to exit: ${latency_ms} ms"
    [[ $sig == INT ]] && expected=130 || expected=143
    assert_eq "$expected" "$rc" "SIG$sig: exit code $expected"
    (( latency_ms < 15000 )) || fail "SIG$sig: pymatrix took ${latency_ms} ms to exit"
    ok "SIG$sig: exited within 15 s (${latency_ms} ms)"
    out="$(cat "$TMP/$name.out")"; err="$(cat "$TMP/$name.err")"
    assert_contains "$err" "SIG$sig: cancelling (1 docker process(es) running)" "SIG$sig: says what it cancels"
    assert_contains "$err" "cancelled by SIG$sig: stopped while running: 3.13-$name; not started: none" \
        "SIG$sig: says what was cancelled"
    assert_contains "$out" "3.13-$name  cancelled" "SIG$sig: summary row"
    assert_contains "$(cat "$log")" "3.13-$name cancelled during the image build; " "SIG$sig: build log"
    nothing_left "$name" "$value" "$hash"
done

# two SIGINTs: the second exits at once (children killed, no clean-up wait)
name="cancel-twice"
value="${nonce}TWICE"
matrix "$name" "$value"
hash="$("$PYMATRIX" plan "$TMP/$name.toml" --format json | jq -r '.builds[0].config_hash')"
log="$TMP/.pymatrix/logs/3.13-$name.log"
"$PYMATRIX" build "$TMP/$name.toml" --progress plain >"$TMP/$name.out" 2>"$TMP/$name.err" &
pid=$!
wait_log "$log" "RUN \[\"./configure\"" 1800
wait_log "$log" "checking for gcc" 120
start=$(date +%s%N)
# 10 ms apart: far enough for the first to be handled (two pending SIGINTs would merge into one),
# near enough to land in its clean-up (a first SIGINT alone exits in about 60 ms here; with 0.1 s
# between them the process was sometimes gone before the second).
children="$(descendants "$pid")"
kill -INT "$pid"; sleep 0.01
kill -INT "$pid" 2>/dev/null || fail "second SIGINT: pymatrix had already exited after the first"
set +e; wait "$pid"; rc=$?; set -e
pid=""
latency_ms=$(( ($(date +%s%N) - start) / 1000000 ))
echo "# two SIGINTs to exit: ${latency_ms} ms"
assert_eq 130 "$rc" "second SIGINT: exit code 130"
(( latency_ms < 3000 )) || fail "second SIGINT: took ${latency_ms} ms"
ok "second SIGINT: exited at once (${latency_ms} ms)"
assert_contains "$(cat "$TMP/$name.err")" "second signal: children killed, exiting at once" "second SIGINT: message"
nothing_left "$name" "$value" "$hash"
done_testing
