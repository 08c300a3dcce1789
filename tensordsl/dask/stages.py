"""Cut a prepared graph into per-chunk stages: blockwise regions and reductions.

A *region* is a maximal elementwise subgraph (Elemwise and DimShuffle nodes) between
*sources*: graph inputs, reduction results and constants larger than one element.
It becomes one compiled kernel that dask maps over aligned blocks. Every variable of
the region is rebuilt for a *dim map*: which output dim each of its dims lines up
with (None for a size-1 dim a DimShuffle drops). A source reached with two different
maps (`x + x.T`) becomes two kernel parameters, which dask feeds with different
blocks; an intermediate reached so is computed twice rather than transposed.

Reductions (`Reduce` nodes: sum, prod, max, min, all, any; mean, var and logsumexp
are built from them) are not part of any region: their inputs are regions of their
own and their results are sources of the regions that use them.

Nothing here imports dask.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tensordsl.errors import CompileError
from tensordsl.graph.basic import Constant, Variable
from tensordsl.graph.type import TensorType
from tensordsl.ops.elemwise import DimShuffle, Elemwise
from tensordsl.ops.reduce import Reduce

DimMap = tuple  # per dim of a variable: the output dim it lines up with, or None


@dataclass
class Region:
    """One blockwise kernel: `params` (sources with their dim maps) -> `outputs`."""

    roots: list[Variable]  # the prepared-graph variables the region computes
    ndim: int
    params: list[Variable] = field(default_factory=list)  # the kernel's inputs
    sources: list[tuple[Variable, DimMap]] = field(default_factory=list)  # per param
    outputs: list[Variable] = field(default_factory=list)  # the kernel's outputs


def is_reduction(var: Variable) -> bool:
    """True for the result of a Reduce node (a dask tree reduction)."""
    return var.owner is not None and isinstance(var.owner.op, Reduce)


def is_source(var: Variable, inputs: frozenset[int]) -> bool:
    """Inputs, reduction results and multi-element constants: a region's boundary."""
    if id(var) in inputs or is_reduction(var):
        return True
    return isinstance(var, Constant) and var.data.size > 1


def build_region(roots: Sequence[Variable], inputs: frozenset[int], who: str) -> Region:
    """The kernel graph computing `roots` (same ndim) from its sources, block by block."""
    ndim = roots[0].ndim
    region = Region(list(roots), ndim)
    memo: dict[tuple[int, DimMap], Variable] = {}
    params: dict[tuple[int, DimMap], Variable] = {}

    def rebuild(var: Variable, dmap: DimMap) -> Variable:
        key = (id(var), dmap)
        found = memo.get(key)
        if found is not None:
            return found
        if isinstance(var, Constant) and not is_source(var, inputs):
            result: Variable = var  # a one-element constant is compiled in
        elif is_source(var, inputs):
            result = params.get(key)  # type: ignore[assignment]
            if result is None:
                # the block's shape is not the global one: only size-1 dims stay static
                ttype = TensorType(var.dtype, tuple(1 if s == 1 else None
                                                    for s in var.type.shape))
                result = ttype(name=f"block{len(params)}")
                params[key] = result
                region.params.append(result)
                region.sources.append((var, dmap))
        else:
            node = var.owner
            op = node.op if node is not None else None
            if isinstance(op, Elemwise) and not op.inplace_pattern:
                args = [rebuild(i, dmap) for i in node.inputs]
                result = op.make_node(*args).outputs[var.index]
            elif isinstance(op, DimShuffle):
                (inner,) = node.inputs
                inner_map = tuple(dmap[op.new_order.index(k)] if k in op.new_order else None
                                  for k in range(inner.ndim))
                result = op.make_node(rebuild(inner, inner_map)).outputs[0]
            else:
                raise unsupported(op, var, who)
        memo[key] = result
        return result

    identity = tuple(range(ndim))
    region.outputs = [rebuild(r, identity) for r in roots]
    return region


def unsupported(op: Any, var: Variable, who: str) -> CompileError:
    """The error for a node the dask path cannot map over chunks."""
    what = "an input that is not a graph input" if op is None else f"the op {op}"
    return CompileError(
        f"{who}: cannot run on dask arrays: {what} (computing {var!r}, {var.type}) is "
        f"neither elementwise nor a reduction over axes. On dask arrays tensordsl maps "
        f"elementwise/broadcasting graphs blockwise and turns sum, prod, max, min, all, "
        f"any, mean, var and logsumexp into tree reductions; compute the other parts with "
        f"dask itself, or call the function on numpy arrays (e.g. inside map_blocks)")
