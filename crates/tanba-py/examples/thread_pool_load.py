"""The same bounded load as crates/tanba-cli/examples/serve_load.rs, through
the Python package in process: 500 labels, a pool of 16 threads, the same
mix of ten inputs (PNG, JPEG, PDF, text, WAV). Prints p50/p99 latency,
throughput, errors, CPU per file and this process's peak memory.

    python crates/tanba-py/examples/thread_pool_load.py   # REQUESTS=500 CLIENTS=16
"""

from __future__ import annotations

import concurrent.futures
import os
import resource
import time
from pathlib import Path

import tanba

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures"
MIX = [
    "image/sample-generated.png",
    "image/sample-photo.jpg",
    "pdf/report.pdf",
    "story.txt",
    "image/sample-photo.jpg",
    "pdf/layouts.pdf",
    "image/sample-generated.png",
    "story.txt",
    "pdf/report.pdf",
    "audio/sample-voice.wav",
]


def inputs() -> list[tuple[str, bytes]]:
    out = []
    for rel in MIX:
        if rel == "story.txt":
            data = ("A story an AI wrote, a few lines long.\n" * 40).encode()
        else:
            data = (FIXTURES / rel).read_bytes()
        out.append((rel.rsplit("/", 1)[-1], data))
    return out


def percentile(sorted_ms: list[float], p: float) -> float:
    return sorted_ms[round((len(sorted_ms) - 1) * p)] if sorted_ms else 0.0


def main() -> None:
    total = int(os.environ.get("REQUESTS", 500))
    clients = int(os.environ.get("CLIENTS", 16))
    files = inputs()

    def one(i: int) -> tuple[str, bool, float]:
        name, data = files[i % len(files)]
        started = time.perf_counter()
        try:
            tanba.label(data, name)
            ok = True
        except tanba.TanbaError:
            ok = False
        return name, ok, (time.perf_counter() - started) * 1000.0

    def cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime

    cpu_before = cpu()
    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(one, range(total)))
    wall = time.perf_counter() - started
    cpu_ms = (cpu() - cpu_before) * 1000.0 / total
    latencies = sorted(ms for _, _, ms in results)
    errors = sum(1 for _, ok, _ in results if not ok)
    print(
        f"python   {total} labels, {clients} threads, {errors} errors, "
        f"p50 {percentile(latencies, 0.5):.1f} ms, p99 {percentile(latencies, 0.99):.1f} ms, "
        f"{total / wall:.1f} files/s ({wall:.2f} s)"
    )
    for name in sorted({n for n, _ in files}):
        mine = sorted(ms for n, _, ms in results if n == name)
        print(f"  {name:<22} p50 {percentile(mine, 0.5):.1f} ms")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"CPU per file {cpu_ms:.0f} ms; peak RSS of the Python process {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
