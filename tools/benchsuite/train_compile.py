"""Compile time of the training-loop graphs, cold, each in a fresh process (issue 15).

For each graph (rnn_forward, rnn_bptt, lstm_forward, lstm_bptt, mlp512_step batch 128)
and each of JAX and tensordsl FAST_RUN, `REPEATS` fresh processes (this file run as a
script) import the library, then time building the implementation plus its first call,
and a second call: compile = (build + first) - second. tensordsl's processes each get an
empty cache directory (cold: every kernel compiled by gcc); JAX has no persistent
cache configured, so each of its processes compiles from scratch (trace + XLA).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchsuite.report import fmt_ratio, fmt_time, ratio, table

REPEATS = 3
TIMEOUT_S = 300
SCRIPT = Path(__file__).resolve()


def _graphs(quick: bool) -> dict[str, tuple[str, str, Callable[[], dict[str, Any]]]]:
    """name -> (module, table of in-process factories, inputs)."""
    from benchsuite import wl_lstm, wl_mlp, wl_rnn

    rnn_steps, lstm_steps = (100, 20) if quick else (wl_rnn.STEPS, wl_lstm.STEPS)
    rnn = lambda: wl_rnn.rnn_inputs(rnn_steps, wl_rnn.BATCH, wl_rnn.HIDDEN)  # noqa: E731
    lstm = lambda: wl_lstm.lstm_inputs(lstm_steps, wl_lstm.BATCH,  # noqa: E731
                                       wl_lstm.HIDDEN, wl_lstm.INPUT)
    return {"rnn_forward": ("benchsuite.wl_rnn", "forward_impls", rnn),
            "rnn_bptt": ("benchsuite.wl_rnn", "bptt_impls", rnn),
            "lstm_forward": ("benchsuite.wl_lstm", "forward_impls", lstm),
            "lstm_bptt": ("benchsuite.wl_lstm", "bptt_impls", lstm),
            "mlp512_step batch 128": ("benchsuite.wl_mlp", "step_impls",
                                      lambda: wl_mlp.mlp_inputs(128))}


def _kinds() -> list[str]:
    from benchsuite import tdsl

    fast_run = next(c for c in tdsl.column_labels() if c.startswith("tensordsl FAST_RUN ("))
    return ["jax", fast_run]


def child(graph: str, kind: str, quick: bool) -> dict[str, Any]:
    """In the fresh process: import, then (build + first call) and a second call."""
    import importlib

    module, table_name, make = _graphs(quick)[graph]
    if kind == "jax":
        from benchsuite.env import jax_modules

        jax_modules()
    else:
        import tensordsl.backends.c  # noqa: F401  (imports excluded from the figure)
    factories = getattr(importlib.import_module(module), table_name)()
    inputs = make()
    start = time.perf_counter()
    run = factories[kind](inputs)
    run()
    first = time.perf_counter()
    run()
    second = time.perf_counter()
    return {"compile_s": (first - start) - (second - first), "call_s": second - first}


def _run_child(graph: str, kind: str, quick: bool) -> dict[str, Any]:
    from benchsuite.compile_time import _env

    with tempfile.TemporaryDirectory(prefix="tensordsl-train-compile-") as cache:
        cmd = [sys.executable, str(SCRIPT), graph, kind] + (["--quick"] if quick else [])
        try:
            proc = subprocess.run(cmd, env=_env(cache), capture_output=True, text=True,
                                  timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return {"error": f"timed out after {TIMEOUT_S} s"}
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH-RESULT "):
            return json.loads(line[len("BENCH-RESULT "):])
    tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
    return {"error": f"child exited with {proc.returncode}: {tail[:200]}"}


def measure_all(quick: bool) -> dict[str, dict[str, Any]]:
    """graph -> kind -> {compile_s: median, samples} (or {error}); kinds interleaved."""
    results: dict[str, dict[str, Any]] = {}
    kinds = _kinds()
    for graph in _graphs(quick):
        print(f"[bench]   train_compile {graph}", flush=True)
        samples: dict[str, list[float]] = {k: [] for k in kinds}
        errors: dict[str, str] = {}
        for _ in range(1 if quick else REPEATS):
            for kind in kinds:
                if kind in errors:
                    continue
                r = _run_child(graph, kind, quick)
                if "error" in r:
                    errors[kind] = r["error"]
                else:
                    samples[kind].append(r["compile_s"])
        results[graph] = {k: ({"error": errors[k]} if k in errors else
                              {"compile_s": statistics.median(samples[k]),
                               "samples": samples[k]}) for k in kinds}
    return results


def section(results: dict[str, dict[str, Any]], doc: str) -> list[str]:
    """The markdown table: each graph's cold compile time, tensordsl ÷ JAX."""
    rows = []
    for graph, by_kind in results.items():
        jax = by_kind.get("jax", {}).get("compile_s", float("nan"))
        for kind, r in by_kind.items():
            if "error" in r:
                rows.append([graph, kind, "error: " + r["error"], "", ""])
                continue
            spread = "/".join(fmt_time(s) for s in r["samples"])
            rows.append([graph, kind, fmt_time(r["compile_s"]), spread,
                         "—" if kind == "jax" else fmt_ratio(ratio(r["compile_s"], jax))])
    return ["## train_compile", "", doc, "",
            *table(["graph", "library", "cold compile (median)", "samples", "÷ JAX"], rows),
            ""]


if __name__ == "__main__":
    tools = SCRIPT.parent.parent
    sys.path[:0] = [str(tools.parent), str(tools)]
    try:
        out = child(sys.argv[1], sys.argv[2], "--quick" in sys.argv[3:])
    except Exception as exc:  # reported as an error cell by the parent
        out = {"error": f"{type(exc).__name__}: {exc}"[:240]}
    print("BENCH-RESULT " + json.dumps(out), flush=True)
