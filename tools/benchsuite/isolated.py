"""Run one implementation of a case in its own fresh process (training-loop workloads).

Libraries in one process disturb each other: OpenBLAS, OpenMP, XLA's and PyTorch's
thread pools each keep workers that spin or hold cores, and a library loaded first can
fix a threading setting for the others (libgomp's wait policy). For the recurrent-net
workloads every column therefore gets a child process of its own (`multiprocessing`
spawn: nothing inherited but the arguments), which imports only its library, builds the
implementation from the same inputs and then computes it once per request on a pipe.

A timed call is one request and one reply: the pipe's round trip (tens of µs, measured
and shown in the note) is charged to every column alike, a few percent of a
millisecond-scale loop. Only the first call (the one checked against numpy) brings its
value back: a training step returns its new parameters (2.6 MB for the mlp512 step),
and pickling them through the pipe on every timed call cost 8-10 ms, several times the
step itself. Later calls reply with nothing once the step has finished (every column's
run returns computed host or synchronised device arrays), and the child drops each
result before the next call.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import time
from typing import Any

from benchsuite.cases import Factory, NotApplicable, Run, noted
from benchsuite.env import NotInstalled

TIMEOUT_S = 600  # one build or one call of a column, at most


def _serve(conn: Any, module: str, table: str, column: str, inputs: dict[str, Any]) -> None:
    """The child: build `getattr(module, table)()[column](inputs)`, then serve calls."""
    _own_omp_wait_policy()
    try:
        run = getattr(importlib.import_module(module), table)()[column](inputs)
    except NotInstalled as exc:
        conn.send(("not installed", str(exc)))
        return
    except NotApplicable as exc:
        conn.send(("n/a", str(exc)))
        return
    except Exception as exc:  # reported as an error cell by the parent
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ok", getattr(run, "bench_note", "")))
    while True:
        try:
            request = conn.recv()
        except EOFError:  # the parent has gone (the run is over)
            return
        if request is None:
            return
        if request == "ping":  # the round trip alone (measured once, for the note)
            conn.send(("ok", None))
            continue
        try:
            value = run()
            conn.send(("ok", value if request == "value" else None))
            # let the result go before the next call, as a training loop does: a step
            # returns its parameters, and holding them through the next call forbade
            # tensordsl's driver to update them in their own buffers (a copy of every
            # weight per call: mlp512 batch 128 3.0 ms a step against 2.5 in a loop)
            del value
        except Exception as exc:  # the parent raises it as this column's error
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


def _own_omp_wait_policy() -> None:
    """Undo bench.py's process-wide OMP_WAIT_POLICY=PASSIVE (unless the user set it).

    A child runs one library, so it needs no truce between thread pools: each library
    gets its own default, as a program using it alone would (tensordsl's C backend picks
    PASSIVE itself when it loads). PyTorch's eager MLP step forced to PASSIVE took
    5.6-6.8 ms against 3.0-3.8 ms with its default (its OpenMP workers sleep between the
    step's many small parallel regions). Runs before the library loads libgomp, which
    reads the variable once."""
    if os.environ.pop("TENSORDSL_BENCH_SET_OMP_WAIT_POLICY", None):
        os.environ.pop("OMP_WAIT_POLICY", None)


def isolated(module: str, table: str, column: str) -> Factory:
    """A factory whose run() calls `getattr(module, table)()[column]` in a child process.

    `table` names a function of `module` returning the in-process factories of every
    column, so the child builds exactly what an in-process run would."""

    def factory(inputs: dict[str, Any]) -> Run:
        ctx = multiprocessing.get_context("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_serve, args=(child, module, table, column, inputs),
                           daemon=True)
        proc.start()
        child.close()
        status, note = _reply(parent, proc, "building")
        if status != "ok":
            proc.join(5)
            if status == "not installed":
                raise NotInstalled(note)
            if status == "n/a":
                raise NotApplicable(note)
            raise RuntimeError(note)

        def call(request: Any) -> Any:
            parent.send(request)
            tag, value = _reply(parent, proc, "running")
            if tag != "ok":
                raise RuntimeError(value)
            return value

        rtt = _round_trip(call)

        calls = [0]

        def run() -> Any:
            calls[0] += 1
            return call("value" if calls[0] == 1 else "run")

        extra = f"own process (pipe round trip {rtt * 1e6:.0f} µs included)"
        run._process = proc  # type: ignore[attr-defined]  # keeps the child referenced
        return noted(run, "; ".join(n for n in (note, extra) if n))

    return factory


def _reply(conn: Any, proc: Any, doing: str) -> tuple[str, Any]:
    """The child's next message; a child silent for TIMEOUT_S or gone is an error (a hung
    peer must not hang the whole run)."""
    if not conn.poll(TIMEOUT_S):
        proc.terminate()
        raise RuntimeError(f"the child process gave no answer in {TIMEOUT_S} s ({doing})")
    try:
        return conn.recv()
    except EOFError:
        raise RuntimeError(f"the child process died ({doing}, exit code "
                           f"{proc.exitcode})") from None


def _round_trip(call: Any, repeats: int = 200) -> float:
    """Median seconds of an empty request/reply on the pipe."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        call("ping")
        samples.append(time.perf_counter() - start)
    return sorted(samples)[len(samples) // 2]
