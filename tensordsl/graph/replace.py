"""Theano 1.0's theano.clone: a copy of a graph with some variables replaced."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tensordsl.graph.basic import Variable, clone_graph, graph_inputs
from tensordsl.graph.convert import as_tensor_variable

__all__ = ["clone"]


def _pairs(replace: Any) -> list[tuple[Variable, Variable]]:
    if replace is None:
        return []
    items = list(replace.items()) if isinstance(replace, Mapping) else list(replace)
    pairs = []
    for item in items:
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise TypeError(f"clone: replace must be a dict or (old, new) pairs, got {item!r}")
        old, new = item
        if not isinstance(old, Variable):
            raise TypeError(f"clone: the replaced {old!r} must be a symbolic variable")
        pairs.append((old, as_tensor_variable(new)))
    return pairs


def clone(output: Any, replace: Any = None, strict: bool = True,
          share_inputs: bool = True) -> Any:
    """`output` (a variable or a list of them) rebuilt with each `old` of `replace` (a
    dict or (old, new) pairs) replaced by `new`. strict: a replacement must have the
    replaced variable's type; otherwise its dtype and number of dims must match (static
    sizes may differ). share_inputs=False also gives the free inputs fresh copies
    (shared variables and constants are kept)."""
    outputs = [output] if isinstance(output, Variable) else list(output)
    for o in outputs:
        if not isinstance(o, Variable):
            raise TypeError(f"clone: outputs must be symbolic variables, got {o!r}")
    pairs = _pairs(replace)
    for old, new in pairs:
        if strict and new.type != old.type:
            raise TypeError(f"clone: the replacement {new} of {old} has type {new.type}, not "
                            f"{old.type} (strict=True)")
        if new.dtype != old.dtype or new.ndim != old.ndim:
            raise TypeError(f"clone: the replacement {new} of {old} has type {new.type}, "
                            f"which does not fit {old.type}")
    memo = dict(pairs)
    if not share_inputs:
        replaced = {id(old) for old, _ in pairs}
        for v in graph_inputs(outputs):
            if (id(v) not in replaced and not getattr(v, "is_shared", False)
                    and not hasattr(v, "data")):
                memo[v] = v.clone()
    cloned = clone_graph(outputs, replace=memo)
    result = [cloned.get(o, o) for o in outputs]
    return result[0] if isinstance(output, Variable) else result
