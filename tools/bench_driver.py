"""The C function driver against the per-node schedule on the mlp512 step, in ONE process.

    python tools/bench_driver.py [--rounds 9] [--calls 20] [--batches 128,16] [--gemm-only]

Compiles the step of tools/benchsuite/wl_mlp.py twice (`config.c_driver` False and True),
times its GEMM floor (`wl_mlp.gemm_floor`: the 8 products alone, numpy's BLAS) beside them,
holds OpenBLAS and OpenMP at one thread (`threads.knobs().single()`, what the adaptive
run picks on a loaded host; `TENSORDSL_ADAPTIVE_THREADS=0` is set so neither run
switches), then times the two functions in interleaved rounds. Prints medians and minima
of the wall time and of the process CPU time per call: on a host shared with other busy
processes the CPU time of a one-thread call is the steadier figure (descheduled time is
not counted). `--gemm-only` adds a third compiled function whose driver plans send every
product to ?gemm (`small_gemm.use_direct` off while its plan is made): the A/B of the
generated kernel that reads b in place.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

TOOLS = Path(__file__).resolve().parent
sys.path[:0] = [str(TOOLS.parent), str(TOOLS)]
os.environ["TENSORDSL_ADAPTIVE_THREADS"] = "0"


def main() -> None:
    """Print one markdown table row per batch and the load average."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--batches", default="128,16")
    parser.add_argument("--gemm-only", action="store_true",
                        help="also time the driver with every product through ?gemm")
    args = parser.parse_args()

    import numpy as np
    from benchsuite import wl_mlp

    import tensordsl
    from tensordsl.backends.c import small_gemm, threads
    from tensordsl.config import config

    print(f"load average at start: {os.getloadavg()}")
    threads.knobs().single()
    print("| batch | schedule wall (median / min) | driver wall | schedule CPU | driver CPU "
          "| driver ÷ schedule (CPU medians) | GEMM floor CPU | driver ÷ floor (CPU) |")
    print("|---|---|---|---|---|---|---|---|")
    for batch in [int(b) for b in args.batches.split(",")]:
        fns = {}
        for flag in (False, True):
            prog = wl_mlp._tdsl_program(wl_mlp.mlp_inputs(batch))
            with config.change_flags(c_driver=flag):
                fn = tensordsl.function(prog.inputs, prog.outputs, updates=prog.updates,
                                        mode="FAST_RUN")
            fn(*prog.args)
            fns[flag] = (fn, prog.args)
        assert fns[True][0].thunk.notes.get("driver") is not None
        if args.gemm_only:  # its plan is made on the first call, with the rule off
            prog = wl_mlp._tdsl_program(wl_mlp.mlp_inputs(batch))
            with config.change_flags(c_driver=True):
                fn = tensordsl.function(prog.inputs, prog.outputs, updates=prog.updates,
                                        mode="FAST_RUN")
            rule, small_gemm.DIRECT_RULE = small_gemm.DIRECT_RULE, {}
            try:
                fn(*prog.args)
            finally:
                small_gemm.DIRECT_RULE = rule
            fns["gemm"] = (fn, prog.args)
        floor = wl_mlp.gemm_floor(wl_mlp.mlp_inputs(batch))
        fns[None] = (lambda *a, floor=floor: floor(), ())
        wall: dict[Any, list[float]] = {k: [] for k in fns}
        cpu: dict[Any, list[float]] = {k: [] for k in fns}
        for r in range(args.rounds):
            for flag in (list(fns) if r % 2 == 0 else list(fns)[::-1]):
                fn, call_args = fns[flag]
                fn(*call_args)
                w, c = time.perf_counter(), time.process_time()
                for _ in range(args.calls):
                    fn(*call_args)
                cpu[flag].append((time.process_time() - c) / args.calls * 1e3)
                wall[flag].append((time.perf_counter() - w) / args.calls * 1e3)

        def cell(xs: list[float]) -> str:
            return f"{np.median(xs):.2f} / {min(xs):.2f} ms"

        ratio = np.median(cpu[True]) / np.median(cpu[False])
        over = np.median(cpu[True]) / np.median(cpu[None])
        print(f"| {batch} | {cell(wall[False])} | {cell(wall[True])} | {cell(cpu[False])} "
              f"| {cell(cpu[True])} | {ratio:.2f} | {cell(cpu[None])} | {over:.2f} |")
        if args.gemm_only:
            print(f"|   | driver, every product through ?gemm: CPU {cell(cpu['gemm'])}, "
                  f"÷ floor {np.median(cpu['gemm']) / np.median(cpu[None]):.2f}; driver ÷ it "
                  f"{np.median(cpu[True]) / np.median(cpu['gemm']):.2f} |||||||")
    print(f"load average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
