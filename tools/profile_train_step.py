"""Where a compiled training step's time goes: per-node times and a cProfile summary.

    python tools/profile_train_step.py [--workload mlp512_step|lstm_forward|lstm_bptt|lenet_step|
                                                   rnn_forward|rnn_bptt]
        [--batch 128] [--calls 200] [--single-thread]

Builds the workload's graph (tools/benchsuite/wl_mlp.py, wl_lstm.py, wl_lenet.py, wl_rnn.py) with
FAST_RUN, then replays its schedule step by step (the same calls `interpret` makes)
timing each node, and runs the function itself under cProfile. `--single-thread` holds
OpenBLAS and OpenMP at one thread (what the adaptive run picks on a loaded host).
Per-node times sum to less than a call: the interpreter loop, argument checks and
updates are outside the nodes. With the C function driver (`config.c_driver`, default
on) the function call is the driver's one foreign call and the replay is its per-node
schedule.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
sys.path[:0] = [str(TOOLS.parent), str(TOOLS)]


def main() -> None:
    """Print the per-node table and the cProfile top entries."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workload", default="mlp512_step",
                        choices=["mlp512_step", "lstm_forward", "lstm_bptt", "lenet_step",
                                 "rnn_forward", "rnn_bptt"])
    parser.add_argument("--batch", type=int, default=None,
                        help="mlp512_step's batch (128) or lenet_step's (500)")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--single-thread", action="store_true")
    parser.add_argument("--nodes", type=int, default=0,
                        help="also list the N slowest nodes one by one (kind, output shapes)")
    parser.add_argument("--cpu", action="store_true",
                        help="per-node CPU time of this thread instead of wall time (with "
                             "--single-thread: the work itself, steadier on a loaded host)")
    args = parser.parse_args()

    from benchsuite import lenet_graphs, wl_lenet, wl_lstm, wl_mlp, wl_rnn

    import tensordsl
    from tensordsl.backends.c import threads

    if args.workload == "lenet_step":
        args.batch = args.batch or 500
        prog = wl_lenet._tensordsl_program(lenet_graphs.lenet_inputs(args.batch))
    elif args.workload == "mlp512_step":
        args.batch = args.batch or 128
        inp = wl_mlp.mlp_inputs(args.batch)
        prog = wl_mlp._tdsl_program(inp)
    elif args.workload.startswith("rnn"):
        inp = wl_rnn.rnn_inputs(wl_rnn.STEPS, wl_rnn.BATCH, wl_rnn.HIDDEN)
        prog = wl_rnn._tdsl_program(args.workload == "rnn_bptt")(inp)
    else:
        inp = wl_lstm.lstm_inputs(wl_lstm.STEPS, wl_lstm.BATCH, wl_lstm.HIDDEN, wl_lstm.INPUT)
        prog = wl_lstm._tdsl_program(args.workload == "lstm_bptt")(inp)
    fn = tensordsl.function(prog.inputs, prog.outputs, updates=prog.updates, mode="FAST_RUN")
    fn(*prog.args)
    knobs = threads.knobs()
    if args.single_thread:
        knobs.single()
    steps = fn.thunk  # the Schedule
    totals: collections.Counter = collections.Counter()
    counts: collections.Counter = collections.Counter()
    per_node: collections.Counter = collections.Counter()
    values = list(prog.args) + [s.get_value(borrow=True) for s in fn.shared_vars]
    clock = time.thread_time if args.cpu else time.perf_counter
    start_all = time.perf_counter()
    for _ in range(args.calls):
        storage = list(steps_template(steps))
        for slot, value in zip(steps.input_slots, values):
            storage[slot] = value
        for step in steps.steps:
            ins = [storage[i] for i in step.inputs]
            t0 = clock()
            out = step.call(ins)
            totals[_label(step)] += clock() - t0
            counts[_label(step)] += 1
            for o, r in zip(step.outputs, out):
                storage[o] = r
            if args.nodes:
                shapes = ",".join(str(getattr(r, "shape", "?")) for r in out)
                per_node[f"#{steps.steps.index(step)} {_label(step)} -> {shapes}"] += \
                    clock() - t0
    replay = (time.perf_counter() - start_all) / args.calls
    t0 = clock()
    for _ in range(args.calls):
        fn(*prog.args)
    per_call = (clock() - t0) / args.calls
    print(f"{args.workload} batch {args.batch}, {len(steps.steps)} nodes, "
          f"function call {per_call * 1e3:.3f} ms,"
          f" replay {replay * 1e3:.3f} ms (wall), single-thread={args.single_thread}, "
          f"{'CPU' if args.cpu else 'wall'} times")
    print("| node kind | count per call | ms per call | share of the call |")
    print("|---|---|---|---|")
    for label, total in totals.most_common():
        print(f"| {label} | {counts[label] // args.calls} | {total / args.calls * 1e3:.3f} | "
              f"{100 * total / args.calls / per_call:.0f}% |")
    if args.nodes:
        print("| node | ms per call |")
        print("|---|---|")
        for label, total in per_node.most_common(args.nodes):
            print(f"| {label} | {total / args.calls * 1e3:.3f} |")
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(args.calls):
        fn(*prog.args)
    prof.disable()
    text = io.StringIO()
    pstats.Stats(prof, stream=text).sort_stats("tottime").print_stats(12)
    print("\n".join(line for line in text.getvalue().splitlines() if line.strip())[:4000])


def _label(step) -> str:
    kind = type(step.node.op).__name__
    return f"{kind} ({'C' if step.compiled else 'numpy'})"


def steps_template(schedule) -> list:
    """The schedule's storage template (slots pre-filled with constants); a function run
    by the C driver (`config.c_driver`) keeps its per-node schedule as the fallback."""
    driver = schedule.notes.get("driver")
    run = driver.fallback.run if driver is not None else schedule.run
    inner = getattr(run, "inner", run)
    for cell in inner.__closure__ or ():
        value = cell.cell_contents
        if isinstance(value, list) and len(value) >= max(schedule.output_slots + (0,)):
            return value
    raise RuntimeError("could not find the schedule's storage template")


if __name__ == "__main__":
    main()
