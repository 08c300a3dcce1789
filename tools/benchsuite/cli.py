"""`python tools/bench.py [--quick] [--only NAME[,NAME]] [--out FILE]` (default FILE: temp dir)."""

from __future__ import annotations

import argparse
import contextlib
import datetime
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from benchsuite import bars, contention, env, report, tdsl
from benchsuite.cases import LIMIT_COLUMNS
from benchsuite.env import NotInstalled
from benchsuite.runner import CaseResult, measure_limits, run_case
from benchsuite.timing import SETTLE_S

ROOT = Path(__file__).resolve().parents[2]


def _workloads() -> dict[str, tuple[Callable[[bool], Iterable], str]]:
    from benchsuite import (
        wl_dask,
        wl_elemwise,
        wl_gemm,
        wl_lenet,
        wl_lstm,
        wl_mlp,
        wl_overhead,
        wl_reduce,
        wl_rnn,
        wl_train,
    )

    return {
        "axpy": (wl_elemwise.axpy_cases, DOCS["axpy"]),
        "black_scholes": (wl_elemwise.black_scholes_cases, DOCS["black_scholes"]),
        "reduce": (wl_reduce.reduce_cases, DOCS["reduce"]),
        "gemm": (wl_gemm.gemm_cases, DOCS["gemm"]),
        "logreg_step": (wl_train.logreg_cases, DOCS["logreg_step"]),
        "mlp_step": (wl_train.mlp_cases, DOCS["mlp_step"]),
        "lenet_step": (wl_lenet.lenet_cases, DOCS["lenet_step"]),
        "call_overhead": (wl_overhead.overhead_cases, DOCS["call_overhead"]),
        "rnn_forward": (wl_rnn.forward_cases, DOCS["rnn_forward"]),
        "rnn_bptt": (wl_rnn.bptt_cases, DOCS["rnn_bptt"]),
        "dask_black_scholes": (wl_dask.dask_cases, DOCS["dask_black_scholes"]),
        "lstm_forward": (wl_lstm.forward_cases, DOCS["lstm_forward"]),
        "lstm_bptt": (wl_lstm.bptt_cases, DOCS["lstm_bptt"]),
        "mlp512_step": (wl_mlp.step_cases, DOCS["mlp512_step"]),
    }


DOCS = {
    "limits": "The ceilings. Memory: a STREAM triad `a = b + s*c` in C (gcc -O3 -march=native "
              "-fopenmp, all cores, float64, 3 arrays counted). Compute: numpy's BLAS GEMM. "
              "Memory-bound rows also time the triad in their own rounds and compare with "
              "that figure, since bandwidth drifts on a shared host.",
    "axpy": "`z = a*x + y`: the simplest memory-bound loop (3 arrays streamed). "
            "Limit: the triad, which does exactly this in C.",
    "black_scholes": "Call price with log, sqrt, exp and an erf normal CDF: a long fused "
                     "elementwise expression, bound by transcendental throughput more than by "
                     "memory; the triad (4 arrays counted) is the floor no implementation "
                     "can beat.",
    "reduce": "`sum(x*y)` (a fused elementwise+reduction, 2 arrays read) and a row-wise "
              "logsumexp (max, exp, sum, log over rows). Limit: the triad.",
    "gemm": "Matrix products: `dot` of two 2048² matrices and a dense layer `relu(x @ W + b)`. "
            "Limit: numpy's BLAS GEMM in the same dtype.",
    "logreg_step": "One logistic-regression training step (Theano tutorial): sigmoid of a "
                   "matrix-vector product, cross-entropy + L2 cost, gradients, updates of "
                   "shared w and b. N=4000, 784 features, float64. Bound by reading X: "
                   "numpy's two matrix-vector products read it twice, a fused step once "
                   "(limit: the triad rate over one pass of X).",
    "mlp_step": "One SGD step of a 784-512-10 MLP (ReLU, softmax cross-entropy), batch 256, "
                "float32: forward, backward, update. Mostly GEMMs (limit: BLAS float32, "
                "3 GEMM-sized products per layer counted).",
    "lenet_step": "One SGD step of the Theano tutorial's LeNet, float32, batch 500 of 28x28: "
                  "conv 5x5 (20 filters) + maxpool 2x2 + tanh, conv 5x5 (50) + maxpool + "
                  "tanh, a tanh layer of 500, softmax over 10, mean cross-entropy; forward, "
                  "backward and updates of 8 shared parameters. Limit: BLAS float32 on the "
                  "GEMM-shaped work (conv as im2col, no gradient for the data).",
    "call_overhead": "`f(a, b) = a + b` on float64 scalars: the fixed cost of one call "
                     "(argument checks, dispatch). No physical limit applies.",
    "rnn_forward": "A recurrent net through scan: `h = tanh(h@W + x_t@U)`, 1000 steps, batch "
                   "16, hidden 64, float32; the last state. Peers: JAX `lax.scan` under jit, "
                   "PyTorch eager, PyTensor scan. Every column in a process of its own "
                   "(benchsuite/isolated.py). No physical limit is claimed: 2x1000 small "
                   "GEMMs in sequence.",
    "rnn_bptt": "The same recurrence, loss = mean of all states, and its gradient wrt W and "
                "U (backpropagation through time); each column in its own process.",
    "dask_black_scholes": "Black-Scholes (call and put, float64) over a dask array on one "
                          "`distributed.LocalCluster` (2 worker processes, 1 thread each) "
                          "started for this workload: inputs from `da.random`, persisted on "
                          "the workers; each call is `dask.compute(call.sum(), put.sum())`, "
                          "so the columns differ only in the per-chunk kernel (numpy = dask "
                          "with numpy chunks, numba = `@njit` in `map_blocks`, tensordsl "
                          "@compile = the decorated function on the dask arrays; pieces from "
                          "tools/bench_dask.py). 50M options in chunks of 5M, not the "
                          "issue's 200M: at 200M one call of the numpy column took 40-70 s "
                          "on this shared 2-core host, minutes per column over 7 rounds "
                          "(tools/bench_dask.py runs 200M). Skipped with a note when dask or "
                          "distributed is not installed (`pip install -e .[dask]`).",
    "lstm_forward": "An LSTM through scan (issue 15): hidden 128, input 128, 200 steps, batch "
                    "32, float32, gates i, f, g, o; the last state. Peers: JAX `lax.scan` "
                    "under jit, PyTorch eager `torch.nn.LSTM` (its fused CPU cell), PyTensor "
                    "scan; each column in its own process. GEMM floor: the input products as "
                    "one GEMM plus one h@Wh per step, numpy's BLAS.",
    "lstm_bptt": "The same LSTM, loss = mean of all states, and its gradient wrt Wx, Wh, b; "
                 "GEMM floor adds one dG@Wh.T per step and the two weight gradients as one "
                 "GEMM each.",
    "mlp512_step": "One SGD step of the 784-512-512-10 MLP of issue 15 (ReLU, softmax "
                   "cross-entropy, lr 0.01), float32, batch 128 and 16; each column in its own "
                   "process; GEMM floor: the step's 8 products alone through numpy's BLAS.",
    "train_compile": "Compile time of the training-loop graphs (rnn, lstm, mlp512) in fresh "
                     "processes: build + first call - second call; tensordsl with an empty "
                     "cache directory (cold), JAX's jit (no persistent cache: always cold).",
    "compile_time": "Black-Scholes (float64) compiled in a fresh process: cold with an empty "
                    "cache directory, then warm with the cache the cold run filled. "
                    "compile = build + first call - second call, on N=1000; imports excluded.",
}


LOADED = (" — other processes were using the cores: multi-threaded BLAS/OpenMP rows "
          "suffer most (a 2-thread GEMM whose threads are descheduled stalls at every barrier)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true",
                        help="small sizes, no peers' compile-time runs (CI smoke test)")
    parser.add_argument("--only", default="",
                        help="comma-separated workloads to run (limits always run)")
    parser.add_argument("--out", default=None,
                        help="markdown file to write (default: a file in the temp "
                             "directory; docs/benchmarks.md is curated by hand around its "
                             "runs, so writing it takes an explicit --out)")
    parser.add_argument("--contended", action="store_true",
                        help="run the workloads with a busy process (a spin loop) pinned to "
                             "one core beside them, to measure how each library degrades "
                             "(benchsuite/contention.py); limits are measured before it starts")
    parser.add_argument("--columns", default="",
                        help="comma-separated columns to run (a column runs when its name "
                             "contains one of these; numpy, the reference, and limit columns "
                             "always run)")
    parser.add_argument("--repeats", type=int, default=7, help="timed rounds (at least 7)")
    return parser.parse_args(argv)


def _selected(only: str, known: list[str]) -> list[str]:
    if not only:
        return known
    names = [n.strip() for n in only.split(",") if n.strip()]
    unknown = [n for n in names if n not in known + ["limits"]]
    if unknown:
        raise SystemExit(f"unknown workload(s) {', '.join(unknown)}; known: "
                         f"limits, {', '.join(known)}")
    return [n for n in known if n in names]


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _header(command: str, wall_s: float, quick: bool, load_start: float,
            min_sample_s: float) -> list[str]:
    from tensordsl.runtime.mode import backend_name, get_mode

    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    vers = ", ".join(f"{k} {v}" for k, v in env.versions().items())
    return [
        "# tensordsl benchmarks", "",
        f"_Made by `{command}` on {now}, tensordsl commit {_git_commit()}, in {wall_s:.0f} s"
        f"{' (quick sizes: a smoke test, not a measurement)' if quick else ''}._", "",
        f"- Machine: {env.machine_line()}",
        f"- Versions: {vers}",
        f"- numpy BLAS (threadpoolctl): {env.blas_info()}",
        f"- Environment: {env.blas_env()}",
        f"- Threads: {env.threading_notes()}",
        f"- Load (1-min loadavg, {os.cpu_count()} cores): {load_start:.2f} at start, "
        f"{os.getloadavg()[0]:.2f} at end{LOADED if load_start > 1 else ''}",
        f"- tensordsl columns: {', '.join(tdsl.column_labels())} "
        f"(FAST_RUN backend: {backend_name(get_mode('FAST_RUN'))})",
        "- Method: every implementation's first call is checked against numpy (a wrong result "
        "is shown, not timed); then one warm-up (the checked call itself when it took ≥ 1 s) "
        "and at least 7 rounds in which all "
        "implementations of a case are timed in turn (interleaved, order rotating), each "
        f"sample after a {SETTLE_S:g} s pause (full runs) so that the previous library's "
        "spinning worker threads (OpenBLAS spins after each call) are idle; figures "
        f"are medians. Short calls are looped so each sample lasts ≥ {min_sample_s * 1e3:g} ms. "
        "The host is shared, "
        "so compare only figures from the same run.", "",
    ]


def _how_to_read() -> list[str]:
    lines = ["## How to read this", "",
             "Each workload table has a column per library; cells are median time per call "
             "(lower is better). The second table puts each tensordsl column against the "
             "fastest peer in the same rounds (÷ best peer < 1: tensordsl is faster), against "
             "numpy (÷ numpy), and, where a physical limit applies, gives the achieved GB/s or "
             "GFLOP/s as a percentage of that ceiling; the ceiling (C triad or numpy GEMM) is "
             "timed in the same rounds as the row, so a load burst lowers both. 'n/a' means "
             "the library cannot express the workload (or the tensordsl feature is not there "
             "yet); 'not installed' that the peer is missing (`pip install -e .[bench]`); "
             "'✗ wrong result' that the output differed from numpy's (then it is not timed). "
             "Numbers in brackets point to the notes under each table.", ""]
    lines += [f"- **{name}**: {text}" for name, text in DOCS.items()]
    return lines + [""]


def main(argv: list[str] | None = None) -> int:
    """Run the selected workloads and write the markdown report."""
    args = parse_args(argv)
    if args.repeats < 7:
        raise SystemExit("--repeats must be at least 7 (medians of >= 7 runs)")
    started, load_start = time.perf_counter(), os.getloadavg()[0]
    workloads = _workloads()
    names = _selected(args.only, list(workloads) + ["compile_time", "train_compile"])
    tdsl_columns = tdsl.column_labels()
    min_sample = 0.005 if args.quick else 0.02
    settle = 0.0 if args.quick else SETTLE_S
    print(f"[bench] limits ({'quick' if args.quick else 'full'} sizes)", flush=True)
    limits = measure_limits(args.quick, args.repeats)
    body = report.limits_section(limits, DOCS["limits"])
    neighbour = contention.busy_neighbour() if args.contended else contextlib.nullcontext()
    with neighbour as core:
        if args.contended:
            print(f"[bench] contended: a spin loop pinned to core {core}", flush=True)
        body, all_results, compile_times = _run_workloads(names, workloads, args, limits, body,
                                                          tdsl_columns, min_sample, settle)
    fast_run = next((c for c in tdsl_columns if c.startswith("tensordsl FAST_RUN")), None)
    verdicts = bars.judge(all_results, fast_run, compile_times.get(fast_run)) if fast_run \
        else []
    command = "python tools/bench.py " + " ".join(sys.argv[1:] if argv is None else argv)
    text = _header(command.strip(), time.perf_counter() - started, args.quick, load_start,
                   min_sample)
    if args.contended:
        text += [f"**Contended run**: a Python spin loop pinned to core {core} ran beside "
                 "every workload (not beside the limits), started and stopped by the suite.",
                 ""]
    text += bars.section(verdicts, fast_run or "", args.quick) + _how_to_read() + body
    out = Path(args.out) if args.out else _default_out(args.quick)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(text).rstrip() + "\n")
    print(f"[bench] wrote {out} in {time.perf_counter() - started:.0f} s", flush=True)
    return 0


def _run_workloads(names: list[str], workloads: dict, args: argparse.Namespace, limits: Any,
                   body: list[str], tdsl_columns: list[str], min_sample: float, settle: float
                   ) -> tuple[list[str], list[CaseResult], dict[str, dict[str, Any]]]:
    """Every selected workload's section appended to `body`; the results and compile times."""
    all_results: list[CaseResult] = []
    compile_times: dict[str, dict[str, Any]] = {}
    for name in names:
        print(f"[bench] {name}", flush=True)
        if name == "train_compile":
            from benchsuite import train_compile

            body += train_compile.section(train_compile.measure_all(args.quick), DOCS[name])
            continue
        if name == "compile_time":
            from benchsuite import compile_time

            compile_times = compile_time.measure_all(args.quick)
            body += compile_time.section(compile_times, args.quick, DOCS[name])
            continue
        cases_fn, doc = workloads[name]
        try:
            results = _run_cases(cases_fn(args.quick), limits, args.repeats, min_sample,
                                 settle, args.columns)
        except NotInstalled as exc:  # the workload's own base library (dask) is missing
            print(f"[bench]   skipped: {exc} not installed", flush=True)
            body += [f"## {name}", "", doc, "", f"_Skipped: {exc} is not installed._", ""]
            continue
        body += report.workload_section(name, results, tdsl_columns, doc)
        all_results += results
    body += _rewrite_section()
    return body, all_results, compile_times


def _filtered(impls: dict[str, Any], columns: str) -> dict[str, Any]:
    """The implementations `--columns` keeps (all without it; numpy and limits always)."""
    wanted = [c.strip() for c in columns.split(",") if c.strip()]
    if not wanted:
        return impls
    return {name: fn for name, fn in impls.items()
            if name == "numpy" or name in LIMIT_COLUMNS or any(w in name for w in wanted)}


def _run_cases(cases: Iterable, limits: Any, repeats: int, min_sample: float,
               settle: float, columns: str = "") -> list[CaseResult]:
    """Run every case (only the `columns` asked for, plus the reference and floors); a
    generator of cases (one holding a cluster) is closed even on errors."""
    results: list[CaseResult] = []
    try:
        for case in cases:
            case.impls = _filtered(case.impls, columns)
            results.append(run_case(case, limits, repeats, min_sample, settle))
            print(f"[bench]   {case.label}: {results[-1].wall_s:.1f} s", flush=True)
    finally:
        close = getattr(cases, "close", None)
        if close is not None:
            close()
    return results


def _default_out(quick: bool) -> Path:
    """A file in the temp directory: a run never replaces docs/benchmarks.md by accident
    (it holds hand-written analysis around the runs it quotes)."""
    name = "tensordsl-benchmarks-quick.md" if quick else "tensordsl-benchmarks.md"
    return Path(tempfile.gettempdir()) / name


def _rewrite_section() -> list[str]:
    """tools/bench_rewrite.py's output, when that tool exists (rewrite engine timing)."""
    tool = ROOT / "tools" / "bench_rewrite.py"
    if not tool.exists():
        return []
    try:
        proc = subprocess.run([sys.executable, str(tool)], cwd=ROOT, capture_output=True,
                              text=True, timeout=120)
        out = (proc.stdout.strip() or proc.stderr.strip())[-3000:]
    except subprocess.TimeoutExpired:
        out = "timed out after 120 s"
    return ["## rewrite engine", "", "Output of `python tools/bench_rewrite.py`:", "",
            "```", out, "```", ""]
