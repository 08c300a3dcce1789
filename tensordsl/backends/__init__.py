"""Backends turn a rewritten FunctionGraph into a `Schedule` (tensordsl.graph.schedule).

A schedule takes the list of input arrays (explicit inputs, then shared values, in
`fgraph.inputs` order) and returns the list of output arrays (`fgraph.outputs` order).
Targets are looked up in `registry` (numpy, c, opencl); each is one folder here.
"""

from __future__ import annotations

from tensordsl.backends.registry import Backend, KernelSource, backend_names, get_backend

__all__ = ["Backend", "KernelSource", "backend_names", "get_backend"]
