"""Kernel speed and compile cost of two `config.cflags` settings, in one process.

    python tools/compare_cflags.py [--flags "-O3 ..." --against "-O2 ..."] [--rounds N]
                                   [--inline-paths]

For each setting (each with its own fresh cache directory): the gcc CPU seconds to build
Black-Scholes float64 and float32 (N=1,000,000) and the 784-512-512-10 MLP SGD step
(batch 128, float32), then the run time of each, the two settings' calls interleaved
round by round (a loaded host slows both alike), median over the rounds. Used to pick
the default flags (docs/benchmarks.md, "Compile time"): never trade run time for
compile time without saying so. `--inline-paths`: the second setting renders the kernels'
path functions without `__attribute__((noinline))` (as before it was added), to measure
what that attribute costs at run time and saves in gcc time.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(TOOLS), TOOLS]

DEFAULT = "-O3 -march=native -ffp-contract=off -fno-math-errno"
CHEAP = "-O2 -march=native -ffp-contract=off -fno-math-errno"


def _children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _workloads() -> dict[str, Callable[[], Callable[[], Any]]]:
    """name -> build (compiles, returns the call)."""
    import numpy as np
    from benchsuite import wl_elemwise, wl_mlp
    from benchsuite.tdsl import column_labels

    import tensordsl

    def bs(dtype: str) -> Callable[[], Any]:
        inp = wl_elemwise._bs_inputs(1_000_000, dtype)
        return _compile(wl_elemwise._bs_program(dtype)(inp))

    def mlp() -> Callable[[], Any]:
        impls = wl_mlp.step_impls()
        label = next(c for c in column_labels() if c.startswith("tensordsl FAST_RUN ("))
        return impls[label](wl_mlp.mlp_inputs(128))

    def _compile(prog: Any) -> Callable[[], Any]:
        fn = tensordsl.function(prog.inputs, prog.outputs, mode="FAST_RUN")
        args = [np.asarray(a) for a in prog.args]
        return lambda: fn(*args)

    return {"black_scholes float64": lambda: bs("float64"),  # each compiles when called
            "black_scholes float32": lambda: bs("float32"),
            "mlp512_step batch 128": mlp}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flags", default=DEFAULT)
    parser.add_argument("--against", default=CHEAP)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--inline-paths", action="store_true")
    args = parser.parse_args()
    if args.inline_paths and args.against == CHEAP:
        args.against = args.flags
    import tensordsl
    from tensordsl.backends.c import schedule
    from tensordsl.backends.c.render import CRenderer

    with_attribute = CRenderer.path_head

    def inline_paths(self: CRenderer, name: str, params: str) -> str:
        return with_attribute(self, name, params).replace("__attribute__((noinline)) ", "")

    settings = [args.flags, args.against]
    for name, build in _workloads().items():
        calls, cpu = [], []
        for k, flags in enumerate(settings):
            CRenderer.path_head = inline_paths if k and args.inline_paths else with_attribute
            with tempfile.TemporaryDirectory() as folder, \
                    tensordsl.config.change_flags(cflags=flags, compiledir=folder):
                schedule._compiled.clear()
                before = _children_cpu()
                call = build()
                call()
                cpu.append(_children_cpu() - before)
                calls.append(call)
        CRenderer.path_head = with_attribute
        times: list[list[float]] = [[] for _ in settings]
        for _ in range(args.rounds):
            for k, call in enumerate(calls):
                start = time.perf_counter()
                call()
                times[k].append(time.perf_counter() - start)
        med = [statistics.median(t) for t in times]
        print(f"{name}: gcc cpu {cpu[0]:.2f} s vs {cpu[1]:.2f} s; call {med[0] * 1e3:.2f} ms "
              f"vs {med[1] * 1e3:.2f} ms (second / first = {med[1] / med[0]:.3f})")
    second = f"{args.against!r}" + (" with inlined paths" if args.inline_paths else "")
    print(f"first = {args.flags!r}, second = {second}; loadavg {os.getloadavg()}")


if __name__ == "__main__":
    main()
