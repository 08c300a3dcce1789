"""The numpy reference backend: every node runs its numpy `perform`, in order.

The loop itself is graph-level (`tensordsl.graph.schedule`), since ops with inner graphs
run the same reference schedules; this module is the backend's face of it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.graph.schedule import InnerCompiler, Schedule, reference_schedule


def make_thunk(fgraph: FunctionGraph, compile_inner: InnerCompiler | None = None) -> Schedule:
    """A Schedule running `fgraph` with numpy: list of input arrays -> list of outputs."""
    return reference_schedule(fgraph, compile_inner)


def evaluate(fgraph: FunctionGraph, values: list[np.ndarray]) -> list[Any]:
    """Run `fgraph` once on `values` (convenience for tests and constant folding)."""
    return make_thunk(fgraph)(values)
