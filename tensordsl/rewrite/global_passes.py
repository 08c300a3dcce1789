"""Whole-graph passes: merge (CSE), constant folding, dead-code removal.

* merge: equal constants become one constant; two nodes applying the same Op to the
  same inputs become one node (repeated to a fixpoint in one topological sweep, since
  merging inputs makes their clients mergeable).
* constant folding: a node whose inputs are all constants is replaced by the constant
  its numpy `perform` computes (unless the result is large: folding an `Alloc` of a
  million zeros would bloat the graph and the cache key).
* dead code: nodes nothing uses are pruned by FunctionGraph.replace as it goes;
  `remove_dead` re-checks the invariant after a stage.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.basic import Apply, Constant, Variable
from tensordsl.graph.convert import constant
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.rewrite.engine import apply_replacements, register

FOLD_MAX_SIZE = 1 << 16  # elements; larger results stay computed at run time


def merge_pass(fgraph: FunctionGraph) -> int:
    """Merge equal constants and identical nodes; returns the number of merges."""
    merged = _merge_constants(fgraph)
    seen: dict[tuple, Apply] = {}
    for node in fgraph.toposort():
        if node not in fgraph.apply_nodes or node.op.destroy_map:
            continue
        key = (node.op, tuple(id(v) for v in node.inputs))
        other = seen.get(key)
        if other is None or other not in fgraph.apply_nodes:
            seen[key] = node
            continue
        pairs = [(o, n) for o, n in zip(node.outputs, other.outputs)
                 if o.type == n.type or (o.dtype == n.dtype and o.ndim == n.ndim)]
        apply_replacements(fgraph, pairs, "merge")
        merged += 1
    return merged


def _merge_constants(fgraph: FunctionGraph) -> int:
    first: dict[tuple, Constant] = {}
    pairs: list[tuple[Variable, Variable]] = []
    live = [c for c in fgraph.constants() if fgraph.clients.get(c)]
    for const in sorted(live, key=lambda c: c.auto_name):
        key = const.signature()
        if key in first:
            pairs.append((const, first[key]))
        else:
            first[key] = const
    apply_replacements(fgraph, pairs, "merge")
    return len(pairs)


def _foldable(node: Apply) -> bool:
    return (bool(node.inputs) and all(isinstance(v, Constant) for v in node.inputs)
            and not node.op.destroy_map)


@register("constant_folding", "fast_compile")
def constant_fold(fgraph: FunctionGraph, node: Apply) -> Any:
    """Evaluate a node whose inputs are all constants."""
    if not _foldable(node):
        return None
    try:
        results = node.op.perform(node, [v.data.copy() for v in node.inputs])
    except Exception:  # an error at run time stays an error at run time, not at compile
        return None
    out = []
    for var, value in zip(node.outputs, results):
        value = np.asarray(value)
        if value.size > FOLD_MAX_SIZE or value.dtype.name != var.dtype:
            return None
        if any(s is not None and s != n for s, n in zip(var.type.shape, value.shape)):
            return None
        out.append(constant(value.copy(), dtype=var.dtype))
    return out


def remove_dead(fgraph: FunctionGraph) -> int:
    """Drop tracked nodes no output depends on (replace() normally prunes them already)."""
    live = set(fgraph.toposort())
    dead = [n for n in fgraph.apply_nodes if n not in live]
    for node in dead:
        fgraph.apply_nodes.discard(node)
        for i, inp in enumerate(node.inputs):
            users = fgraph.clients.get(inp)
            if users and (node, i) in users:
                users.remove((node, i))
        for out in node.outputs:
            fgraph.clients.pop(out, None)
    return len(dead)
