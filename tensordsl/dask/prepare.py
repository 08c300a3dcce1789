"""Make a symbolic graph chunk-safe: global shapes in, small constant subgraphs folded.

A kernel that runs on one chunk sees the chunk's shape, not the whole array's. So
before the graph is cut into per-chunk stages, every `Shape` node (what `mean`, `var`
and `x.shape[0]` build on) is replaced by the constant global shape, which the dask
arguments know, and every node whose inputs are all constants is evaluated here
(`shape[1]`, casts of counts, ...). The pass also computes the global shape of every
variable it keeps, which the stage builder needs to group outputs.

Nothing here imports dask: shapes come in as tuples of ints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tensordsl.graph.basic import Constant, Variable, toposort
from tensordsl.graph.convert import constant
from tensordsl.ops.elemwise import DimShuffle, Elemwise
from tensordsl.ops.reduce import Reduce
from tensordsl.ops.shape import Shape

# Folding a constant node larger than this would put a whole array into every task's
# source; such nodes stay in the graph (and are rejected later if not elementwise).
FOLD_LIMIT = 1 << 16


@dataclass
class Prepared:
    """The rewritten graph: `outputs` over the same `inputs`, with global shapes."""

    inputs: list[Variable]
    outputs: list[Variable]
    shapes: dict[Variable, tuple[int, ...]] = field(default_factory=dict)


def prepare(inputs: Sequence[Variable], outputs: Sequence[Variable],
            shapes: Sequence[tuple[int, ...]]) -> Prepared:
    """Rebuild `outputs` with Shape nodes as constants and small constant nodes folded.

    `shapes` gives the global shape of each input. Ops the dask path does not know are
    kept (with their global shape unknown): the stage builder names them in its error.
    """
    inputs = list(inputs)
    new: dict[Variable, Variable] = {v: v for v in inputs}
    gshape: dict[Variable, tuple[int, ...]] = {}
    for var, shape in zip(inputs, shapes):
        gshape[var] = tuple(int(s) for s in shape)
    for node in toposort(list(outputs), blockers=inputs):
        args = [new.get(v, v) for v in node.inputs]
        for a in args:
            if isinstance(a, Constant):
                gshape.setdefault(a, a.data.shape)
        if isinstance(node.op, Shape) and args[0] in gshape:
            results: list[Variable] = [constant(np.asarray(gshape[args[0]], dtype="int64"))]
        else:
            results = _fold(node, args)
            if results is None:
                rebuilt = node.op.make_node(*args) if any(
                    a is not b for a, b in zip(args, node.inputs)) else node
                results = list(rebuilt.outputs)
                out_shape = _global_shape(rebuilt.op, [gshape.get(a) for a in args])
                if out_shape is not None and len(results) == 1:
                    gshape[results[0]] = out_shape
        for old, res in zip(node.outputs, results):
            if res.dtype != old.dtype:
                raise AssertionError(f"tensordsl.dask: rebuilding {node.op} changed its "
                                     f"dtype from {old.dtype} to {res.dtype}")
            new[old] = res
            if isinstance(res, Constant):
                gshape[res] = res.data.shape
    outs = [new.get(o, o) for o in outputs]
    for o in outs:
        if isinstance(o, Constant):
            gshape[o] = o.data.shape
    return Prepared(inputs, outs, gshape)


def _fold(node: Any, args: list[Variable]) -> list[Variable] | None:
    """The node's outputs as constants when all its inputs are small constants."""
    if not args or not all(isinstance(a, Constant) for a in args):
        return None
    rebuilt = node.op.make_node(*args)
    for out in rebuilt.outputs:
        static = out.type.shape
        if all(s is not None for s in static) and \
                int(np.prod(static, dtype=np.int64)) > FOLD_LIMIT:
            return None
    values = rebuilt.op.perform(rebuilt, [a.data for a in args])
    if any(np.asarray(v).size > FOLD_LIMIT for v in values):
        return None
    return [constant(np.asarray(v, dtype=o.dtype), dtype=o.dtype)
            for v, o in zip(values, rebuilt.outputs)]


def _global_shape(op: Any, shapes: list[tuple[int, ...] | None]) -> tuple[int, ...] | None:
    """The whole-array shape of an elementwise, dimshuffle or reduce result."""
    if any(s is None for s in shapes):
        return None
    if isinstance(op, Elemwise):
        try:
            return tuple(np.broadcast_shapes(*shapes))  # type: ignore[arg-type]
        except ValueError:
            raise ValueError(f"{op}: the dask arrays' shapes {list(shapes)} do not "
                             f"broadcast") from None
    if isinstance(op, DimShuffle):
        (shape,) = shapes
        return tuple(1 if d == "x" else shape[d] for d in op.new_order)  # type: ignore[index]
    if isinstance(op, Reduce):
        (shape,) = shapes
        return tuple(s for d, s in enumerate(shape) if d not in op.axis)  # type: ignore[arg-type]
    return None
