"""Sampling from multinomials given uniform samples (Theano's sandbox.multinomial).

`MultinomialFromUniform` counts, per row of `pvals`, which outcome each of `n` uniforms
falls into (the first outcome whose cumulative probability exceeds it);
`ChoiceFromUniform` returns the chosen indices instead and, without replacement, zeroes
a chosen outcome and renormalises its row before the next draw. The uniforms are laid
out as Theano lays them out: draw c of row r is `unis[c * rows + r]`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.gradient.core import register_connection
from tensordsl.graph.basic import Apply, Op
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.graph.type import TensorType
from tensordsl.ops.shape import static_int


def _check_inputs(who: str, pvals: Any, unis: Any, n: Any) -> tuple[Any, Any, Any]:
    pvals, unis, n = (as_tensor_variable(v) for v in (pvals, unis, n))
    if pvals.ndim != 2 or not dtypes.is_float(pvals.dtype):
        raise TypeError(f"{who}: pvals must be a float matrix, got {pvals!r} ({pvals.type})")
    if unis.ndim != 1 or not dtypes.is_float(unis.dtype):
        raise TypeError(f"{who}: unis must be a float vector, got {unis!r} ({unis.type})")
    if n.ndim != 0 or not dtypes.is_int(n.dtype):
        raise TypeError(f"{who}: n must be an integer scalar, got {n!r} ({n.type})")
    return pvals, unis, n


def _check_count(who: str, pvals: np.ndarray, unis: np.ndarray, n: int) -> None:
    if n < 0:
        raise ValueError(f"{who}: the number of samples must be >= 0, got {n}")
    if unis.shape[0] != pvals.shape[0] * n:
        raise ValueError(f"{who}: {unis.shape[0]} uniforms for {pvals.shape[0]} rows x {n} "
                         f"samples (expected {pvals.shape[0] * n})")


def _first_above(cumsum: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: whether some cumulative probability exceeds u, and the first such index."""
    above = cumsum > u[:, None]
    return above.any(axis=1), above.argmax(axis=1)


class MultinomialFromUniform(Op):
    """Counts (same shape as pvals) of `n` draws per row of `pvals` from `unis`."""

    __props__ = ("odtype",)

    def __init__(self, odtype: str = "auto") -> None:
        self.odtype = odtype if odtype == "auto" else dtypes.canonical(odtype)

    def make_node(self, pvals: Any, unis: Any, n: Any = 1) -> Apply:
        pvals, unis, n = _check_inputs("MultinomialFromUniform", pvals, unis, n)
        odtype = pvals.dtype if self.odtype == "auto" else self.odtype
        return Apply(self, [pvals, unis, n], [TensorType(odtype, pvals.type.shape)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        pvals, unis, n = inputs
        n = int(n)
        _check_count("MultinomialFromUniform", pvals, unis, n)
        rows = pvals.shape[0]
        counts = np.zeros(pvals.shape, dtype=node.outputs[0].dtype)
        cumsum = pvals.cumsum(axis=1)
        u = unis.reshape(n, rows)
        for c in range(n):
            hit, index = _first_above(cumsum, u[c])
            np.add.at(counts, (np.nonzero(hit)[0], index[hit]), 1)
        return [counts]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [input_shapes[0]]


class ChoiceFromUniform(Op):
    """Indices (rows x n) of `n` draws per row of `pvals` from `unis`, without
    replacement unless `replace`."""

    __props__ = ("odtype", "replace")

    def __init__(self, odtype: str = "int64", replace: bool = False) -> None:
        self.odtype = "int64" if odtype == "auto" else dtypes.canonical(odtype)
        self.replace = bool(replace)

    def make_node(self, pvals: Any, unis: Any, n: Any) -> Apply:
        pvals, unis, n = _check_inputs("ChoiceFromUniform", pvals, unis, n)
        shape = (pvals.type.shape[0], static_int(n))
        return Apply(self, [pvals, unis, n], [TensorType(self.odtype, shape)()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        pvals, unis, n = inputs
        n = int(n)
        _check_count("ChoiceFromUniform", pvals, unis, n)
        if not self.replace and n > pvals.shape[1]:
            raise ValueError(f"ChoiceFromUniform: cannot sample {n} values without replacement "
                             f"from {pvals.shape[1]} outcomes")
        rows = pvals.shape[0]
        pvals = pvals.copy()  # zeroed and renormalised below: never the caller's array
        out = np.full((rows, n), -1, dtype=self.odtype)
        u = unis.reshape(n, rows)
        for c in range(n):
            hit, index = _first_above(pvals.cumsum(axis=1), u[c])
            chosen = np.nonzero(hit)[0]
            out[chosen, c] = index[chosen]
            if not self.replace:
                with np.errstate(invalid="ignore", divide="ignore"):  # an exhausted row
                    for r in chosen:  # Theano renormalises each row with its own sum
                        pvals[r, index[r]] = 0
                        pvals[r] /= pvals[r].sum()
        return [out]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [(input_shapes[0][0], node.inputs[2])]


# The samples depend on the uniforms, which carry no gradient; pvals is wrapped in
# undefined_grad by the streams (as in Theano).
register_connection(MultinomialFromUniform, lambda node: [False, False, False])
register_connection(ChoiceFromUniform, lambda node: [False, False, False])

__all__ = ["ChoiceFromUniform", "MultinomialFromUniform"]
