"""Columns the training-loop workloads share: the one-thread GEMM floor and tensordsl with
its thread counts fixed (the adaptive choice of tensordsl/backends/c/threads.py off).

Both change process-wide settings, so they are meant for isolated columns (a process of
their own, `isolated.py`), never for an in-process run beside other columns.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from benchsuite import tdsl
from benchsuite.cases import Factory, Run, noted
from benchsuite.env import require


def one_thread(factory: Factory) -> Factory:
    """`factory` with numpy's BLAS held at one thread (threadpoolctl) for its whole life."""

    def build(inputs: dict[str, Any]) -> Run:
        threadpoolctl = require("threadpoolctl")
        limit = threadpoolctl.threadpool_limits(1, user_api="blas")
        run = factory(inputs)
        run._limit = limit  # type: ignore[attr-defined]  # keeps the limit referenced
        return noted(run, getattr(run, "bench_note", "") + "; BLAS held at 1 thread")

    return build


def fixed_threads(build: Callable[[dict[str, Any]], tdsl.Program]) -> Factory:
    """The FAST_RUN column compiled with TENSORDSL_ADAPTIVE_THREADS=0 (the libraries'
    default thread counts on every call, as before the adaptive choice)."""

    def factory(inputs: dict[str, Any]) -> Run:
        os.environ["TENSORDSL_ADAPTIVE_THREADS"] = "0"  # this column's own process only
        fast_run = next(c for c in tdsl.symbolic_columns()
                        if c.label.startswith("tensordsl FAST_RUN ("))
        run = tdsl.symbolic_factories(build)[fast_run.label](inputs)
        return noted(run, getattr(run, "bench_note", "") + "; TENSORDSL_ADAPTIVE_THREADS=0")

    return factory
