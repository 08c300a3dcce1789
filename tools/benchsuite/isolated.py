"""Run one implementation of a case in its own fresh process (training-loop workloads).

Libraries in one process disturb each other: OpenBLAS, OpenMP, XLA's and PyTorch's
thread pools each keep workers that spin or hold cores, and a library loaded first can
fix a threading setting for the others (libgomp's wait policy). For the recurrent-net
workloads every column therefore gets a child process of its own (`multiprocessing`
spawn: nothing inherited but the arguments), which imports only its library, builds the
implementation from the same inputs and then computes it once per request on a pipe.

A timed call is one request and one reply: the pipe's round trip (tens of µs, measured
and shown in the note) is charged to every column alike, a few percent of a
millisecond-scale loop.
"""

from __future__ import annotations

import importlib
import multiprocessing
import time
from typing import Any

from benchsuite.cases import Factory, NotApplicable, Run, noted
from benchsuite.env import NotInstalled

TIMEOUT_S = 600  # one build or one call of a column, at most


def _serve(conn: Any, module: str, table: str, column: str, inputs: dict[str, Any]) -> None:
    """The child: build `getattr(module, table)()[column](inputs)`, then serve calls."""
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
            conn.send(("ok", run()))
        except Exception as exc:  # the parent raises it as this column's error
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


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

        def run() -> Any:
            return call("run")

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
