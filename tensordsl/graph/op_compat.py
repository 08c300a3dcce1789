"""Theano-style Op subclasses: `perform(self, node, inputs, output_storage)`.

tensordsl's ops return their outputs from `perform(node, inputs)`. Programs written
for Theano define ops the way its "Extending Theano" tutorial does, storing each result
in `output_storage[i][0]` (and, for ops with a params type, taking `params` last). Op
subclasses whose `perform` requires those arguments get it wrapped at class creation
(`Op.__init_subclass__`), so every backend and test-value path calls them like any
other op. Their `grad` / `L_op` / `connection_pattern` methods are read by the gradient
machinery (gradient/theano_ops.py).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["accepts", "adapt_perform", "make_node_from_types", "storage_style"]

_POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def storage_style(perform: Callable) -> int:
    """How many required arguments `perform` takes after self when it is Theano's style
    (3: node, inputs, output_storage; 4: and params), else 0."""
    try:
        params = list(inspect.signature(perform).parameters.values())[1:]
    except (TypeError, ValueError):
        return 0
    required = [p for p in params if p.kind in _POSITIONAL and p.default is p.empty]
    return len(required) if len(required) in (3, 4) else 0


def _as_output(value: Any, out: Any, op: Any, i: int) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype == out.type.dtype and array.ndim == out.type.ndim:
        return array
    return out.type.filter(value, name=f"output {i} of {op}", allow_downcast=True)


def adapt_perform(perform: Callable, n_args: int) -> Callable:
    """`perform(node, inputs) -> outputs` calling a Theano-style `perform`."""

    @functools.wraps(perform)
    def wrapped(self: Any, node: Any, inputs: list[np.ndarray]) -> list[np.ndarray]:
        storage: list[list[Any]] = [[None] for _ in node.outputs]
        if n_args == 4:
            params = self.get_params(node) if hasattr(self, "get_params") else None
            perform(self, node, inputs, storage, params)
        else:
            perform(self, node, inputs, storage)
        outs = []
        for i, (cell, out) in enumerate(zip(storage, node.outputs)):
            if cell[0] is None:
                raise ValueError(f"{self}.perform did not store output {i} "
                                 f"(output_storage[{i}][0])")
            outs.append(_as_output(cell[0], out, self, i))
        return outs

    wrapped.theano_style = True  # type: ignore[attr-defined]
    return wrapped


def accepts(want: Any, got: Any) -> bool:
    """Whether a variable of type `got` may be an input declared of type `want`: the same
    dtype and ndim, and every static size `want` fixes."""
    return (got.dtype == want.dtype and got.ndim == want.ndim
            and all(w is None or w == g for w, g in zip(want.shape, got.shape)))


def make_node_from_types(op: Any, itypes: Any, otypes: Any, inputs: tuple) -> Any:
    """Theano's default make_node for ops that declare `itypes` / `otypes`."""
    from tensordsl.graph.basic import Apply
    from tensordsl.graph.convert import as_tensor_variable
    from tensordsl.graph.type import TensorType

    if len(inputs) != len(itypes):
        raise ValueError(f"{op}: we expected {len(itypes)} inputs but got {len(inputs)}")
    variables = [as_tensor_variable(x) for x in inputs]
    for i, (x, want) in enumerate(zip(variables, itypes)):
        if not accepts(want, x.type):
            raise TypeError(f"{op}: input {i} ({x}) has type {x.type}, expected {want}")
    return Apply(op, variables, [TensorType(t.dtype, t.shape)() for t in otypes])
