"""Run time of the same workloads built by two tensordsl checkouts, interleaved.

    python tools/compare_roots.py ROOT_A ROOT_B [--rounds 21] [--calls 5]
                                  [--only mlp512_step,rnn_bptt,...]

One child process per checkout (its own fresh cache directory, one thread: OpenMP and
OpenBLAS held at 1) builds every workload, then the parent asks the two children in turn
to time `--calls` calls of a workload, round by round, so a loaded host slows both
alike. The figure is the calling thread's CPU time per call (`time.thread_time`), the
median over the rounds: on a shared host it does not count the time other processes
took the core. Used to check that a change to the generated code keeps run time while
it cuts compile time (docs/c_backend.md, compile time).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

WORKLOADS = ["mlp512_step", "rnn_forward", "rnn_bptt", "lstm_forward", "lstm_bptt",
             "black_scholes float64", "black_scholes float32", "transposed float32",
             "transposed float64"]


def _build(name: str) -> Callable[[], Any]:
    """Compile workload `name` with the checkout on sys.path; return its call."""
    import importlib

    import numpy as np
    from benchsuite import train_compile, wl_elemwise

    import tensordsl
    from tensordsl import tensor as T

    if name.startswith("transposed"):  # a*b + c of 1000 x 1000 operands given transposed:
        dtype = name.split()[1]         # rows that are not unit-stride (the gather path)
        a, b, c = (T.matrix(v, dtype) for v in "abc")
        fn = tensordsl.function([a, b, c], a * b + c, mode="FAST_RUN")
        rng = np.random.default_rng(0)
        vals = [rng.standard_normal((1000, 1000)).astype(dtype).T for _ in range(3)]
        return lambda: fn(*vals)
    if name.startswith("black_scholes"):
        dtype = name.split()[1]
        prog = wl_elemwise._bs_program(dtype)(wl_elemwise._bs_inputs(1_000_000, dtype))
        fn = tensordsl.function(prog.inputs, prog.outputs, mode="FAST_RUN")
        args = [np.asarray(a) for a in prog.args]
        return lambda: fn(*args)
    graph = "mlp512_step batch 128" if name == "mlp512_step" else name
    module, table, make = train_compile._graphs(False)[graph]
    factories = getattr(importlib.import_module(module), table)()
    kind = next(k for k in factories if k.startswith("tensordsl FAST_RUN ("))
    return factories[kind](make())


def child(root: str, names: list[str]) -> None:
    """Build `names`, then answer `name calls` lines with the CPU seconds per call."""
    sys.path[:0] = [root, os.path.join(root, "tools")]
    calls = {}
    for name in names:
        calls[name] = _build(name)
        calls[name]()  # first call: loads, allocates
    print("ready", flush=True)
    for line in sys.stdin:
        name, count = line.rsplit(" ", 1)
        call = calls[name]
        start = time.thread_time()
        for _ in range(int(count)):
            call()
        print(json.dumps((time.thread_time() - start) / int(count)), flush=True)


def main() -> None:
    """Start the two children and print each workload's medians and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("roots", nargs=2)
    parser.add_argument("--rounds", type=int, default=21)
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--only", default=",".join(WORKLOADS))
    args = parser.parse_args()
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in WORKLOADS]
    if unknown:
        raise SystemExit(f"unknown workloads {unknown}; choose from {WORKLOADS}")
    procs, folders = [], []
    for root in args.roots:
        folder = tempfile.TemporaryDirectory(prefix="td-roots-")
        folders.append(folder)
        env = dict(os.environ, TENSORDSL_FLAGS=f"compiledir={folder.name}",
                   OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        procs.append(subprocess.Popen(
            [sys.executable, __file__, "--child", os.path.abspath(root), ",".join(names)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env))
    for p in procs:
        if p.stdout.readline().strip() != "ready":  # type: ignore[union-attr]
            raise SystemExit("a child failed to build its workloads")
    try:
        for name in names:
            times: list[list[float]] = [[], []]
            for _ in range(args.rounds):
                for k, p in enumerate(procs):
                    p.stdin.write(f"{name} {args.calls}\n")  # type: ignore[union-attr]
                    p.stdin.flush()  # type: ignore[union-attr]
                    times[k].append(json.loads(p.stdout.readline()))  # type: ignore
            a, b = (statistics.median(t) for t in times)
            print(f"{name}: A {a * 1e3:.3f} ms, B {b * 1e3:.3f} ms per call "
                  f"(B / A = {b / a:.3f}); loadavg {os.getloadavg()[0]:.1f}", flush=True)
    finally:
        for p in procs:
            p.stdin.close()  # type: ignore[union-attr]
            p.wait()
        for folder in folders:
            folder.cleanup()
    print(f"A = {args.roots[0]}, B = {args.roots[1]}; one thread, thread CPU time, "
          f"median of {args.rounds} rounds of {args.calls} calls")


if __name__ == "__main__":
    if sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3].split(","))
    else:
        main()
