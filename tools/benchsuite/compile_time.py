"""Compile time of Black-Scholes, cold (empty cache directory) and warm, in fresh processes.

Each measurement is a new Python process (compile_child.py) whose caches point at a
temporary directory: the first process finds it empty (cold), the second finds what the
first wrote (warm). compile = build + first call - second call; imports are timed apart.
"""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from benchsuite import tdsl
from benchsuite.report import best_peer, fmt_ratio, fmt_time, ratio, table

CHILD = Path(__file__).resolve().parent / "compile_child.py"
PEER_KINDS = ("numba", "pytensor", "jax")
TIMEOUT_S = 180


def _env(cache_dir: str) -> dict[str, str]:
    env = dict(os.environ)
    tools = CHILD.parent.parent
    env["PYTHONPATH"] = os.pathsep.join(
        [str(tools.parent), str(tools)] + [p for p in [env.get("PYTHONPATH")] if p])
    flags = [f for f in [env.get("TENSORDSL_FLAGS", "")] if f]
    env["TENSORDSL_FLAGS"] = ",".join(flags + [f"compiledir={cache_dir}"])
    env["NUMBA_CACHE_DIR"] = cache_dir
    env["PYTENSOR_FLAGS"] = ",".join(
        [f for f in [env.get("PYTENSOR_FLAGS", "")] if f] + [f"base_compiledir={cache_dir}"])
    env["BENCH_CACHE_DIR"] = cache_dir
    return env


def run_child(kind: str, cache_dir: str) -> dict[str, Any]:
    """One fresh process compiling Black-Scholes with `kind`; its JSON result."""
    try:
        proc = subprocess.run([sys.executable, str(CHILD), kind], env=_env(cache_dir),
                              capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {TIMEOUT_S} s"}
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            return json.loads(line[len("BENCH-RESULT "):])
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": f"child exited with {proc.returncode}: {tail[:200]}"}


def measure(kind: str, pairs: int) -> dict[str, Any]:
    """Median import/cold/warm seconds over `pairs` (cold, warm) process pairs."""
    cold, warm, imports = [], [], []
    for _ in range(pairs):
        with tempfile.TemporaryDirectory(prefix="tensordsl-bench-cache-") as cache:
            results = [run_child(kind, cache), run_child(kind, cache)]
        for r in results:
            if "import_s" not in r:
                return r
        imports.append(results[0]["import_s"])
        cold.append(results[0]["first_s"] - results[0]["second_s"])
        warm.append(results[1]["first_s"] - results[1]["second_s"])
    return {"import_s": statistics.median(imports), "cold_s": statistics.median(cold),
            "warm_s": statistics.median(warm), "pairs": pairs}


def measure_all(quick: bool) -> dict[str, dict[str, Any]]:
    """Each library's compile-time figures (`measure`), peers skipped with --quick."""
    kinds = ([] if quick else list(PEER_KINDS)) + tdsl.column_labels()
    pairs = 1 if quick else 3
    results = {}
    for kind in kinds:
        print(f"[bench]   compile_time {kind}", flush=True)
        results[kind] = measure(kind, pairs)
    return results


def section(results: dict[str, dict[str, Any]], quick: bool, doc: str) -> list[str]:
    """The compile_time markdown section of `measure_all`'s figures."""
    best = best_peer({k: results[k].get("cold_s", math.nan) for k in PEER_KINDS
                      if k in results})
    rows = []
    for kind, r in results.items():
        if "cold_s" not in r:
            rows.append([kind, "—", "—", "—", "—", "—", r.get("na") or "error: " + r["error"]])
            continue
        vs_best = fmt_ratio(ratio(r["cold_s"], best[1])) if best and kind not in PEER_KINDS \
            else "—"
        rows.append([kind, fmt_time(r["import_s"]), fmt_time(r["cold_s"]), fmt_time(r["warm_s"]),
                     fmt_ratio(ratio(r["cold_s"], r["warm_s"])), vs_best,
                     f"median of {r['pairs']} fresh-process pair(s)"])
    lines = ["## compile_time", "", doc, ""]
    if quick:
        lines += ["_--quick: tensordsl only, peers' compile-time runs skipped._", ""]
    lines += table(["library", "import", "cold compile", "warm compile", "cold ÷ warm",
                    "cold ÷ best peer cold", "notes"], rows)
    return lines + [""]
