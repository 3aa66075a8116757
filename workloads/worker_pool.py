"""worker-pool: a process pool doing timeseries work, the way a service's workers do.

Each task gets a JSON document of sensor rows (the "I/O": it crosses the process boundary as
text), parses it, buckets the rows per sensor and minute, aggregates each bucket (count, sum,
min, max, mean), computes a rolling mean over each sensor's buckets and serialises the result
back to JSON. The pool is a concurrent.futures.ProcessPoolExecutor kept busy for --duration
seconds. Prints one JSON line (the pymatrix bench protocol, workloads/README.md):
tasks per second and per minute, mean task duration (wall and CPU time), and the pool size the
interpreter chose.

Pool size: --workers N, else $PYMATRIX_BENCH_WORKERS, else ProcessPoolExecutor's default
(os.cpu_count() before 3.13; os.process_cpu_count() from 3.13, which honours the CPU affinity
and PYTHON_CPU_COUNT, but never a CPU quota such as docker run --cpus).
Pure Python, standard library only.
"""
import argparse
import concurrent.futures
import json
import os
import random
import sys
import time

ROWS_PER_TASK = 1500
SENSORS = 12
ROLLING_WINDOW = 5


def make_payload(seed):
    """A deterministic JSON document of ROWS_PER_TASK rows over about an hour."""
    rng = random.Random(seed)
    t0 = 1_700_000_000
    rows = []
    for i in range(ROWS_PER_TASK):
        rows.append({
            "ts": t0 + i * 2 + rng.randint(0, 1),
            "sensor": f"sensor-{rng.randrange(SENSORS):02d}",
            "value": round(rng.gauss(20.0, 5.0), 4),
            "status": "ok" if rng.random() > 0.02 else "degraded",
        })
    return json.dumps({"batch": seed, "rows": rows})


def process(payload):
    """One task: parse, bucket + aggregate, rolling means, serialise.
    Returns (bytes, wall seconds, CPU seconds of this worker process)."""
    start = time.perf_counter()
    cpu_start = time.process_time()
    doc = json.loads(payload)
    buckets = {}
    for row in doc["rows"]:
        if row["status"] != "ok":
            continue
        key = (row["sensor"], row["ts"] // 60 * 60)
        b = buckets.get(key)
        v = row["value"]
        if b is None:
            buckets[key] = [1, v, v, v]
        else:
            b[0] += 1
            b[1] += v
            if v < b[2]:
                b[2] = v
            if v > b[3]:
                b[3] = v
    per_sensor = {}
    for (sensor, minute), (n, total, lo, hi) in sorted(buckets.items()):
        per_sensor.setdefault(sensor, []).append(
            {"minute": minute, "count": n, "sum": round(total, 4), "min": lo, "max": hi, "mean": total / n})
    for series in per_sensor.values():
        window = []
        acc = 0.0
        for point in series:
            window.append(point["mean"])
            acc += point["mean"]
            if len(window) > ROLLING_WINDOW:
                acc -= window.pop(0)
            point["rolling_mean"] = round(acc / len(window), 4)
    out = json.dumps({"batch": doc["batch"], "sensors": per_sensor}, sort_keys=True)
    return len(out), time.perf_counter() - start, time.process_time() - cpu_start


def pool_size_wanted(args):
    if args.workers:
        return args.workers
    env = os.environ.get("PYMATRIX_BENCH_WORKERS", "")
    return int(env) if env else None


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=10.0, help="seconds of work (default 10)")
    p.add_argument("--workers", type=int, default=0, help="pool size (default: the interpreter's choice)")
    args = p.parse_args()
    payloads = [make_payload(seed) for seed in range(16)]
    with concurrent.futures.ProcessPoolExecutor(max_workers=pool_size_wanted(args)) as pool:
        pool_size = pool._max_workers
        in_flight = set()
        submitted = done = 0
        task_seconds = task_cpu_seconds = 0.0
        start = time.perf_counter()
        deadline = start + args.duration
        while True:
            now = time.perf_counter()
            while now < deadline and len(in_flight) < 2 * pool_size:
                in_flight.add(pool.submit(process, payloads[submitted % len(payloads)]))
                submitted += 1
            if not in_flight:
                break
            finished, in_flight = concurrent.futures.wait(in_flight, return_when=concurrent.futures.FIRST_COMPLETED)
            for f in finished:
                _, seconds, cpu_seconds = f.result()
                done += 1
                task_seconds += seconds
                task_cpu_seconds += cpu_seconds
        elapsed = time.perf_counter() - start
    info = {"workload": "worker-pool", "python": sys.version.split()[0], "pool_size": pool_size,
            "cpu_count": os.cpu_count(), "affinity": len(os.sched_getaffinity(0)),
            "python_cpu_count": os.environ.get("PYTHON_CPU_COUNT"), "tasks": done, "elapsed_seconds": elapsed}
    if hasattr(os, "process_cpu_count"):
        info["process_cpu_count"] = os.process_cpu_count()
    print(json.dumps({"metrics": {
        "tasks_per_second": {"value": done / elapsed, "unit": "tasks/s", "better": "higher"},
        "tasks_per_minute": {"value": done * 60 / elapsed, "unit": "tasks/min", "better": "higher"},
        "mean_task_ms": {"value": task_seconds / done * 1000 if done else 0.0, "unit": "ms", "better": "lower"},
        # CPU time per task: what the interpreter costs, whatever else the machine runs
        "mean_task_cpu_ms": {"value": task_cpu_seconds / done * 1000 if done else 0.0, "unit": "ms", "better": "lower"},
    }, "info": info}))


if __name__ == "__main__":
    main()
