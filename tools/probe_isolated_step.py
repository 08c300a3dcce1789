"""The mlp512 step and its GEMM floor, each in its own process through the bench's pipe
(`benchsuite.isolated`), called back to back: where the suite's figure for a column
differs from an in-process loop, this shows whether the pipe pattern is the cause.

    python tools/probe_isolated_step.py [BATCH] [--calls N] [--step-only]

Prints the median wall time per call of each (docs/benchmarks.md, "Third session").
`TENSORDSL_ADAPTIVE_THREADS=0` holds tensordsl at its default thread counts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
sys.path[:0] = [str(TOOLS.parent), str(TOOLS)]


def main() -> None:
    """Time each column's calls through its child process."""
    from benchsuite import tdsl, wl_mlp
    from benchsuite.cases import FLOOR_COLUMN
    from benchsuite.isolated import isolated

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("batch", type=int, nargs="?", default=128)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--step-only", action="store_true")
    args = parser.parse_args()
    if "OMP_WAIT_POLICY" not in os.environ:  # as bench.py: the child gets its own back
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
        os.environ["TENSORDSL_BENCH_SET_OMP_WAIT_POLICY"] = "1"
    inputs = wl_mlp.mlp_inputs(args.batch)
    step = next(c for c in tdsl.column_labels() if c.startswith("tensordsl FAST_RUN ("))
    for column in [step] if args.step_only else [step, FLOOR_COLUMN]:
        run = isolated("benchsuite.wl_mlp", "step_impls", column)(inputs)
        for _ in range(30):
            run()
        times = []
        for _ in range(args.calls):
            start = time.perf_counter()
            run()
            times.append(time.perf_counter() - start)
        print(f"{column}, batch {args.batch}: median {statistics.median(times) * 1e3:.3f} ms"
              f" over {args.calls} calls, load {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
