"""Sums of slice gradients become one chain of increments (Theano's
`local_IncSubtensor_serialize`).

The gradient of several slices of one value, `z[:, :h]`, `z[:, h:2h]`..., is a sum of
IncSubtensors of zeros: `inc(zeros_like(z), g1, [:, :h]) + inc(zeros_like(z), g2, ...) + ...`,
each a full-size fill and the sum a full-size pass per term. Incrementing the same zeros
one slice after another gives the same values (an element that two slices share gets both
increments, as in the sum) with one fill and no sum:
`inc(inc(zeros_like(z), g1, [:, :h]), g2, [:, h:2h]) ...`. The compiled scan loop then
updates that one buffer in place (an LSTM's gradient step: one fill, four slice writes).

The rule needs two or more increments (not sets) with basic indices into fills of zeros
of the same variable, in the sum's dtype; other terms of the sum stay terms.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.basic import Apply, Constant, Variable
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.ops.elemwise import DimShuffle, Elemwise
from tensordsl.ops.subtensor import IncSubtensor
from tensordsl.rewrite.engine import register, scalar_name
from tensordsl.tensor import math as tm


def _zeros_of(var: Variable) -> Variable | None:
    """z when `var` is second(z, 0) (zeros of z's shape), else None."""
    node = var.owner
    if node is None or scalar_name(node) != "second":
        return None
    z, fill = node.inputs
    if fill.owner is not None and isinstance(fill.owner.op, DimShuffle):
        fill = fill.owner.inputs[0]  # a broadcast scalar (before constant folding)
    if not isinstance(fill, Constant) or np.any(np.asarray(fill.data) != 0):
        return None
    return z


def _increment(var: Variable, dtype: str, ndim: int) -> tuple[Variable, Apply] | None:
    """(z, node) when `var` is an increment of basic indices into zeros of z's shape, or
    into such a chain of increments (what this rule built from an earlier sum)."""
    node = var.owner
    if node is None or not isinstance(node.op, IncSubtensor):
        return None
    if not _chain_link(node):
        return None
    if var.dtype != dtype or var.ndim != ndim:
        return None
    base = node.inputs[0]
    while base.owner is not None and _chain_link(base.owner):  # an earlier chain's links
        base = base.owner.inputs[0]
    z = _zeros_of(base)
    return (z, node) if z is not None else None


def _chain_link(node: Apply) -> bool:
    op = node.op
    return (isinstance(op, IncSubtensor) and not op.set_instead_of_inc and not op.inplace
            and "a" not in op.spec)


@register("canonicalize", "fast_run", "inc_subtensor_serialize", tracks=(Elemwise,))
def inc_subtensor_serialize(fgraph: FunctionGraph, node: Apply) -> Any:
    """add(inc(zeros(z), g1, i1), inc(zeros(z), g2, i2), rest...) ->
    add(inc(inc(zeros(z), g1, i1), g2, i2), rest...)."""
    if scalar_name(node) != "add" or len(node.inputs) < 2:
        return None
    out = node.outputs[0]
    groups: dict[Variable, list[tuple[int, Apply]]] = {}
    for pos, term in enumerate(node.inputs):
        found = _increment(term, out.dtype, out.ndim)
        if found is not None:
            groups.setdefault(found[0], []).append((pos, found[1]))
    chains = {z: incs for z, incs in groups.items() if len(incs) >= 2}
    if not chains:
        return None
    used: set[int] = set()
    terms: list[Variable] = []
    for incs in chains.values():
        _, first = incs[0]
        chain = first.outputs[0]
        for _, inc in incs[1:]:
            chain = inc.op(chain, *inc.inputs[1:])
        terms.append(chain)
        used.update(pos for pos, _ in incs)
    terms += [t for pos, t in enumerate(node.inputs) if pos not in used]
    return [terms[0] if len(terms) == 1 else tm.add(*terms)]
