"""A/B of the C backend's conv choices on the LeNet training step, in one process.

    python tools/lenet_conv_ab.py [--rounds 10] [--calls 3]

Compiles `lenet_step` (tools/benchsuite/wl_lenet.py, batch 500, FAST_RUN), holds
OpenBLAS and OpenMP at one thread (after the units are loaded: libgomp's count is set
on the loaded library), then times the step under four settings, in a shuffled order
each round: "all" (as shipped), "no compiled products" (`nnet.use_gemm` off: the filter
products and the pixel-major filter gradient go back to OpenBLAS with channel-major
columns), "no scratch" (a new array per batch slice instead of the per-thread scratch
arrays) and "neither". Prints the median and the fastest CPU time per step of this
thread (the work itself, steadier than wall time on a shared host). docs/nnet.md
quotes a run.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

os.environ.setdefault("TENSORDSL_ADAPTIVE_THREADS", "0")  # the arms would move the counts
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from benchsuite import wl_lenet  # noqa: E402
from benchsuite.lenet_graphs import lenet_inputs  # noqa: E402

import tensordsl  # noqa: E402
from tensordsl.backends.c import nnet, threads  # noqa: E402
from tensordsl.ops import conv_kernels  # noqa: E402

SETTINGS = {"all": (True, True), "no compiled products": (False, True),
            "no scratch": (True, False), "neither": (False, False)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--calls", type=int, default=3, help="steps timed per setting")
    args = parser.parse_args()
    prog = wl_lenet._tensordsl_program(lenet_inputs(500))
    fn = tensordsl.function(prog.inputs, prog.outputs, updates=prog.updates,
                            mode="FAST_RUN")
    fn(*prog.args)
    threads.knobs().single()
    use_gemm, scratch = nnet.use_gemm, nnet.CColumns.scratch
    times: dict[str, list[float]] = {name: [] for name in SETTINGS}
    rng = random.Random(0)
    try:
        for _ in range(args.rounds):
            order = list(SETTINGS.items())
            rng.shuffle(order)
            for name, (products, scratch_on) in order:
                nnet.use_gemm = use_gemm if products else (lambda *a: False)
                nnet.CColumns.scratch = (scratch if scratch_on
                                         else conv_kernels.ColumnKernels.scratch)
                fn(*prog.args)
                t0 = time.thread_time()
                for _ in range(args.calls):
                    fn(*prog.args)
                times[name].append((time.thread_time() - t0) / args.calls)
    finally:
        nnet.use_gemm, nnet.CColumns.scratch = use_gemm, scratch
    print(f"lenet_step, one thread, CPU ms per step, {args.rounds} rounds x {args.calls} "
          f"calls; load {os.getloadavg()[0]:.2f}")
    print("| setting | median | fastest |")
    print("|---|---|---|")
    for name, values in times.items():
        values.sort()
        print(f"| {name} | {values[len(values) // 2] * 1e3:.1f} | {values[0] * 1e3:.1f} |")


if __name__ == "__main__":
    main()
