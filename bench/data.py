"""Benchmark data: `bench.datagen` in parallel processes, first the venues,
customers, buyers and the first growth size of bookings, then more bookings
on top (cost vs data size)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

from bench.runner import ROOT, run


def booking_procs(args, env, manifest_path: Path, start: int, count: int):
    """Processes generating bookings start..count-1 (sharded)."""
    shards = args.gen_processes
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.datagen",
                "bookings",
                str(manifest_path),
                "--start",
                str(start),
                "--count",
                str(count),
                "--shard",
                str(s),
                "--shards",
                str(shards),
            ],
            env=env,
            cwd=ROOT,
        )
        for s in range(shards)
    ]


def wait_all(procs) -> None:
    try:
        codes = [p.wait() for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    if any(codes):
        raise RuntimeError(f"data generation failed: exit codes {codes}")


def generate(args, env, work: Path) -> dict:
    """Venues, customers, buyers and the first growth size of bookings."""
    manifest_path = work / "manifest.json"
    buyers_path = work / "buyers.json"
    t0 = time.perf_counter()
    run(
        [
            sys.executable,
            "-m",
            "bench.datagen",
            "setup",
            str(manifest_path),
            "--venues",
            str(args.venues),
            "--customers",
            str(args.customers),
        ],
        env,
    )
    t_setup = time.perf_counter() - t0
    first = args.growth[0]
    t1 = time.perf_counter()
    procs = booking_procs(args, env, manifest_path, 0, first)
    procs.append(
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.datagen",
                "users",
                str(manifest_path),
                "--prefix",
                "buyer",
                "--count",
                str(args.sale),
                "--out",
                str(buyers_path),
            ],
            env=env,
            cwd=ROOT,
        )
    )
    wait_all(procs)
    t_bookings = time.perf_counter() - t1
    manifest = json.loads(manifest_path.read_text())
    manifest["buyers"] = json.loads(buyers_path.read_text())
    manifest["path"] = str(manifest_path)
    spaces = sum(len(v["spaces"]) for v in manifest["venues"])
    big = [v for v in manifest["venues"] if v.get("big")]
    manifest["generation"] = {
        "venues": len(manifest["venues"]),
        "spaces": spaces,
        "big_venue_spaces": len(big[0]["spaces"]) if big else 0,
        "customers": len(manifest["customers"]),
        "buyers": len(manifest["buyers"]),
        "bookings": first,
        "processes": args.gen_processes,
        "setup_s": round(t_setup, 1),
        "bookings_and_buyers_s": round(t_bookings, 1),
        "steps": [{"from": 0, "to": first, "s": round(t_bookings, 1)}],
    }
    return manifest


def grow(args, env, manifest: dict, start: int, count: int) -> float:
    """Bookings start..count-1 on top of the existing ones; seconds taken."""
    t0 = time.perf_counter()
    wait_all(booking_procs(args, env, Path(manifest["path"]), start, count))
    took = time.perf_counter() - t0
    gen = manifest["generation"]
    gen["bookings"] = count
    gen["steps"].append({"from": start, "to": count, "s": round(took, 1)})
    return took
