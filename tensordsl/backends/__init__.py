"""Backends turn a rewritten FunctionGraph into a callable (a "thunk").

A thunk takes the list of input arrays (explicit inputs, then shared values, in
`fgraph.inputs` order) and returns the list of output arrays (`fgraph.outputs` order).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Thunk = Callable[[list[Any]], list[Any]]


def get_backend(name: str) -> Any:
    """The backend module called `name` (it provides make_thunk(fgraph) -> Thunk)."""
    if name == "numpy":
        from tensordsl.backends.numpy import vm

        return vm
    if name == "c":
        from tensordsl.backends import c

        return c
    if name == "opencl":
        from tensordsl.backends import opencl

        return opencl
    raise ValueError(f"unknown backend {name!r}; known: numpy, c, opencl")
