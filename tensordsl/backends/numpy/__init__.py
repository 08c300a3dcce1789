"""The numpy reference backend: runs each node's `perform` (the oracle)."""

from __future__ import annotations

from typing import Any

from tensordsl.backends.registry import Backend, KernelSource
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.graph.schedule import InnerCompiler, Schedule


class NumpyBackend(Backend):
    """Every node through its numpy `perform`, in order (the reference)."""

    name = "numpy"

    def make_thunk(self, fgraph: FunctionGraph, compile_inner: InnerCompiler | None = None
                   ) -> Schedule:
        """The reference schedule of `fgraph`."""
        from tensordsl.backends.numpy.vm import make_thunk

        return make_thunk(fgraph, compile_inner)

    def sources(self, fgraph: FunctionGraph, name: str = "graph") -> list[KernelSource]:
        """The graph as straight-line Python, one `perform` per line."""
        from tensordsl.backends.numpy.listing import numpy_listing

        return [KernelSource("graph", name, "python", numpy_listing(name, fgraph),
                             tuple(repr(v) for v in fgraph.inputs))]


BACKEND: Any = NumpyBackend()
