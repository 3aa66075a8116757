"""kernels: small interpreter kernels, each timed for a share of --duration seconds.

float (n-body style float arithmetic), dict_str (word counting in a dict, str split/join/format),
regex (re.findall/sub over log lines), json (dumps + loads of a nested document) and startup
(a fresh `python3 -I -c pass`, the interpreter's own start-up). Each reports its median time per
iteration in milliseconds (lower is better). Prints one JSON line (the pymatrix bench protocol,
workloads/README.md). Pure Python, standard library only.
"""
import argparse
import json
import math
import os
import random
import re
import statistics
import subprocess
import sys
import time


def k_float():
    bodies = [[math.sin(i) * 3, math.cos(i) * 3, i * 0.1, 0.0, 0.0, 0.0, 1.0 + i * 0.01] for i in range(5)]
    dt = 0.01
    for _ in range(400):
        for i, a in enumerate(bodies):
            for b in bodies[i + 1:]:
                dx, dy, dz = a[0] - b[0], a[1] - b[1], a[2] - b[2]
                d2 = dx * dx + dy * dy + dz * dz + 1e-9
                mag = dt / (d2 * math.sqrt(d2))
                a[3] -= dx * b[6] * mag; a[4] -= dy * b[6] * mag; a[5] -= dz * b[6] * mag
                b[3] += dx * a[6] * mag; b[4] += dy * a[6] * mag; b[5] += dz * a[6] * mag
        for body in bodies:
            body[0] += dt * body[3]; body[1] += dt * body[4]; body[2] += dt * body[5]
    return bodies[0][0]


_rng = random.Random(7)
_WORDS = ["".join(_rng.choice("abcdefghij") for _ in range(_rng.randint(3, 8))) for _ in range(400)]
_TEXT = " ".join(_rng.choice(_WORDS) for _ in range(6000))


def k_dict_str():
    counts = {}
    for w in _TEXT.split():
        counts[w] = counts.get(w, 0) + 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:50]
    return len(",".join(f"{w.upper()}={n:05d}" for w, n in top))


_LOG = "\n".join(
    f"2026-11-30T12:{i % 60:02d}:{(i * 7) % 60:02d}Z host{i % 9} GET /api/v1/items/{i * 13} "
    f"status={200 if i % 11 else 503} bytes={i * 37 % 9000} user=u{i % 97}@example.org"
    for i in range(1500))
_RE_REQ = re.compile(r"GET (/api/v\d+/\w+/(\d+)) status=(\d{3}) bytes=(\d+)")
_RE_MAIL = re.compile(r"u(\d+)@example\.org")


def k_regex():
    total = sum(int(m[3]) for m in _RE_REQ.findall(_LOG) if m[2] != "503")
    return total + len(_RE_MAIL.sub(r"user-\1", _LOG))


_DOC = {"items": [{"id": i, "name": f"item-{i}", "price": i * 1.25, "tags": ["a", "b", str(i)],
                   "meta": {"ok": i % 2 == 0, "ratio": i / 7}} for i in range(600)]}


def k_json():
    text = json.dumps(_DOC)
    return len(json.loads(text)["items"])


def k_startup():
    subprocess.run([sys.executable, "-I", "-c", "pass"], check=True)
    return 0


KERNELS = {"float": k_float, "dict_str": k_dict_str, "regex": k_regex, "json": k_json, "startup": k_startup}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=10.0, help="seconds for all kernels together (default 10)")
    args = p.parse_args()
    share = args.duration / len(KERNELS)
    metrics = {}
    for name, fn in KERNELS.items():
        fn()  # warm-up iteration, not counted
        times = []
        end = time.perf_counter() + share
        while len(times) < 3 or time.perf_counter() < end:
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        metrics[f"{name}_ms"] = {"value": statistics.median(times) * 1000, "unit": "ms", "better": "lower"}
    info = {"workload": "kernels", "python": sys.version.split()[0], "cpu_count": os.cpu_count(),
            "affinity": len(os.sched_getaffinity(0))}
    print(json.dumps({"metrics": metrics, "info": info}))


if __name__ == "__main__":
    main()
