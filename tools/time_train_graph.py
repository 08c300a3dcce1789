"""Time one training-loop graph of a given checkout, in a process of its own.

    python tools/time_train_graph.py ROOT WORKLOAD [CALLS]

ROOT is a tensordsl checkout (a worktree of another commit, say); WORKLOAD one of
rnn_forward, rnn_bptt, lstm_forward, lstm_bptt (tools/benchsuite/wl_rnn.py, wl_lstm.py).
Compiles the graph with FAST_RUN from ROOT's sources, makes 5 untimed calls, then prints
the min and the median of CALLS timed calls in ms. Run it alternately for two checkouts
(A, B, A, B, ...) to compare them on a shared host: ratios within one round.
"""

from __future__ import annotations

import sys
import time

import numpy as np


def main() -> None:
    """Print 'min median' (ms) of the timed calls."""
    root, workload = sys.argv[1], sys.argv[2]
    calls = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    sys.path[:0] = [root, root + "/tools"]
    from benchsuite import wl_lstm, wl_rnn

    import tensordsl

    if workload.startswith("rnn"):
        inp = wl_rnn.rnn_inputs(wl_rnn.STEPS, wl_rnn.BATCH, wl_rnn.HIDDEN)
        prog = wl_rnn._tdsl_program(workload == "rnn_bptt")(inp)
    else:
        inp = wl_lstm.lstm_inputs(wl_lstm.STEPS, wl_lstm.BATCH, wl_lstm.HIDDEN, wl_lstm.INPUT)
        prog = wl_lstm._tdsl_program(workload == "lstm_bptt")(inp)
    fn = tensordsl.function(prog.inputs, prog.outputs, updates=prog.updates, mode="FAST_RUN")
    for _ in range(5):
        fn(*prog.args)
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn(*prog.args)
        times.append(time.perf_counter() - start)
    print(f"{min(times) * 1e3:.2f} {np.median(times) * 1e3:.2f}")


if __name__ == "__main__":
    main()
