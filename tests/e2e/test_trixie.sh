#!/usr/bin/env bash
# A CPython source build on debian:trixie-slim (GCC 14), pulled through the engine's mirror like
# any base: it builds, its runtime image gets the runtime libraries under trixie's package names
# (libssl3t64, ...), and nothing but package names reaches apt-get. Found 2026-12-06: on trixie,
# `dpkg -S` also answers "diversion by libc6 from: /lib64/ld-linux-x86-64.so.2" (the usr-merge
# diversion), and every trixie build of matrices/toolchains.toml failed after its make step with
# "E: Unable to locate package diversion". About 5-7 minutes on 2 cores.
source "$(dirname "$0")/lib.sh"
M="$E2E/matrices/trixie.toml"
IMAGE=pymatrix-e2e/trixie:3.13.5-gcc14
cd "$TMP"
trap 'docker image rm "$IMAGE" "$IMAGE-${hash:-none}" >/dev/null 2>&1 || true; rm -rf "$TMP"' EXIT

start=$SECONDS
run "$PYMATRIX" build "$M" --progress plain
[[ $rc == 0 ]] || tail -n 30 <<<"$err" >&2
assert_eq 0 "$rc" "the trixie source build exits 0"
echo "# trixie source build: $((SECONDS - start)) s"
hash=$(label "$IMAGE" io.pymatrix.config-hash)
hash=${hash:0:12}

packages=$(in_image "$IMAGE" cat /usr/local/share/pymatrix/runtime-packages.txt | xargs)
assert_contains " $packages " " libc6 " "runtime packages: libc6"
assert_contains " $packages " " libssl3t64 " "runtime packages: trixie's libssl3t64 (64-bit time_t name)"
assert_not_contains "$packages" "diversion" "no word of dpkg's diversion lines"
assert_eq "3.13.5 ok" "$(in_image "$IMAGE" python3 -c 'import ssl, sqlite3, lzma, ctypes, platform; print(platform.python_version(), "ok")')" \
    "the interpreter imports its C extensions with the runtime libraries installed"
assert_contains "$(in_image "$IMAGE" python3 -c 'import platform; print(platform.python_compiler())')" "GCC 14." \
    "compiled by trixie's GCC 14"
assert_contains "$(in_image "$IMAGE" cat /etc/debian_version)" "13." "on a trixie (Debian 13) runtime"
assert_eq "$(in_image "$IMAGE" python3 -c 'import sysconfig; print(sysconfig.get_config_var("CONFIG_ARGS"))')" \
    "$(label "$IMAGE" io.pymatrix.config-args)" "config-args label = the interpreter's CONFIG_ARGS"
done_testing
