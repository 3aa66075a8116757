"""pymatrix build-info: runs inside the runtime stage of every pymatrix image.

Imports the stdlib modules a complete CPython must have (fails the build naming the missing
ones: configure skips a module silently when its -dev package is absent, and a distribution
ships some modules in packages of their own), then writes build-info.json: what this
interpreter really is, read from the interpreter itself.

Usage: buildinfo.py OUT.json [--packaged]   (--packaged: a distribution's interpreter)
"""
import importlib
import json
import platform
import re
import sys
import sysconfig

REQUIRED = ["ssl", "ctypes", "sqlite3", "lzma", "bz2", "zlib", "readline", "decimal", "uuid",
            "curses", "dbm.gnu", "hashlib", "json", "pyexpat"]
HERE = "/usr/local/share/pymatrix"


def read(name):
    try:
        with open(f"{HERE}/{name}", encoding="utf-8") as f:
            return f.read()
    except OSError:
        return ""


def main(out_path, packaged=False):
    missing, errors = [], []
    for name in REQUIRED:
        try:
            importlib.import_module(name)
        except Exception as exc:  # ImportError, or a broken shared library
            missing.append(name)
            errors.append(f"{name}: {exc}")
            print(f"pymatrix: cannot import {name}: {exc}", file=sys.stderr)
    if missing:
        why = (" (the distribution ships them in packages of their own: add those to the python's"
               " `packages`; " + "; ".join(errors) + ")" if packaged else
               " (configure skipped them: a -dev package is missing from the build-deps stage)")
        print("pymatrix: stdlib modules missing: " + " ".join(missing) + why, file=sys.stderr)
        return 1
    core = sysconfig.get_config_var("PY_CORE_CFLAGS") or ""
    marches = re.findall(r"(?:^|\s)-march=(\S+)", core)
    target = dict(re.findall(r"^\s+-m(arch|tune)=\s+(\S+)", read("cc-target.txt"), re.M))
    cpu = dict(line.split(":", 1) for line in read("build-host-cpu.txt").splitlines() if ":" in line)
    info = {
        "schema": 1,
        "python_version": platform.python_version(),
        "config_args": sysconfig.get_config_var("CONFIG_ARGS"),
        "cflags": sysconfig.get_config_var("CFLAGS") or "",
        # configure stores the CFLAGS_NODIST it was given as CONFIGURE_CFLAGS_NODIST (Makefile.pre.in)
        "cflags_nodist": sysconfig.get_config_var("CONFIGURE_CFLAGS_NODIST") or "",
        "py_core_cflags": core,
        "arch": platform.machine(),
        "abiflags": getattr(sys, "abiflags", ""),
        "march_requested": marches[-1] if marches else "",
        "march_resolved": target.get("arch", ""),
        "cc_macros": read("cc-macros.txt"),
        "build_host_cpu": " ".join(v.strip() for k, v in sorted(cpu.items(), key=lambda kv: kv[0] != "vendor_id")),
        "runtime_packages": read("runtime-packages.txt").split(),
        "missing_modules": missing,
    }
    if packaged:
        # the binary's "x86 ISA needed" levels (readelf -n) and the installed "name=version" lines
        info["elf_isa_needed"] = [w.strip() for w in read("elf-isa-needed.txt").replace(",", " ").split()]
        info["packages"] = read("packages.txt").split()
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(info, f, indent=1, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], "--packaged" in sys.argv[2:]))
