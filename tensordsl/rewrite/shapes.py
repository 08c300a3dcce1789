"""Shape reasoning by dim sources (Theano's ShapeFeature idea, for numpy broadcasting).

tensordsl broadcasts size-1 dims at run time even where the static size is unknown, so
the size of an elementwise result's dim is the *broadcast* of its inputs' sizes. This
module describes each dim of a variable by the set of "sources" it is the broadcast of:
a dim of a graph input (or of the output of an op it does not see through) or a static
size. An empty set means size 1. Two dims with equal source sets have equal run-time
sizes whenever the nodes computing them ran (their broadcasts were valid).

Three rewrites use it (stage `canonicalize`):

* `shape_i_from_sources`: shape(v)[i] of a computed `v` -> the sizes of its sources,
  combined with numpy's broadcast rule (`a if b == 1 else b`), so a size (a mean's 1/N)
  no longer waits for, or keeps alive, the elementwise value it was taken from;
* `sum_to_shape_identity`: SumToShape(g, like) -> g when every dim of g has the same
  sources as like's (their shapes are equal at run time: nothing to sum); otherwise
  `like` is replaced by its earliest elementwise ancestor of the same shape;
* `fill_from_proxy`: second(a, c) -> second(p, c), p that ancestor of a (second reads
  only a's shape).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.gradient.sum_to import SumToShape
from tensordsl.graph.basic import Apply, Constant, Variable
from tensordsl.graph.convert import constant
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.ops.blas import Dot, Gemm
from tensordsl.ops.elemwise import DimShuffle, Elemwise
from tensordsl.ops.fused import FusedElemwise
from tensordsl.ops.reduce import Reduce
from tensordsl.ops.shape import Shape
from tensordsl.ops.subtensor import Subtensor
from tensordsl.rewrite.engine import register
from tensordsl.rewrite.util import op

# A dim's sources, in first-seen order (deterministic rewrites); ("size", s) is static.
Sources = tuple[Any, ...]
_CACHE_ATTR = "_dim_sources"
_MAX_DEPTH = 200


def _union(*parts: Sources) -> Sources:
    out: list[Any] = []
    for part in parts:
        for s in part:
            if s not in out:
                out.append(s)
    return tuple(out)


def _leaf(var: Variable) -> tuple[Sources, ...]:
    dims: list[Sources] = []
    for d, size in enumerate(var.type.shape):
        if size == 1:
            dims.append(())
        elif size is not None:
            dims.append((("size", size),))
        else:
            dims.append(((var, d),))
    return tuple(dims)


def dim_sources(var: Variable, cache: dict | None = None, depth: int = 0
                ) -> tuple[Sources, ...]:
    """Per dim of `var`, the sources whose broadcast its run-time size is."""
    cache = {} if cache is None else cache
    hit = cache.get(var)
    if hit is not None:
        return hit
    node = var.owner
    if node is None or isinstance(var, Constant) or depth > _MAX_DEPTH:
        result = _leaf(var)
    else:
        result = _through(node, var, cache, depth + 1)
    # a static size is exact whatever the sources say
    result = tuple(() if size == 1 else ((("size", size),) if size is not None else s)
                   for s, size in zip(result, var.type.shape))
    cache[var] = result
    return result


def _through(node: Apply, var: Variable, cache: dict, depth: int) -> tuple[Sources, ...]:
    op_ = node.op

    def src(v: Variable) -> tuple[Sources, ...]:
        return dim_sources(v, cache, depth)

    if isinstance(op_, Elemwise) or (isinstance(op_, FusedElemwise)
                                      and not op_.kernel.is_reduction):
        ins = [src(v) for v in node.inputs]
        return tuple(_union(*(i[d] for i in ins)) for d in range(var.ndim))
    if isinstance(op_, DimShuffle):
        (inner,) = (src(node.inputs[0]),)
        return tuple(() if d == "x" else inner[d] for d in op_.new_order)
    if isinstance(op_, Reduce):
        inner = src(node.inputs[0])
        return tuple(inner[d] for d in range(len(inner)) if d not in op_.axis)
    if isinstance(op_, SumToShape):
        return src(node.inputs[1])
    if isinstance(op_, (Dot, Gemm)):
        a, b = (node.inputs[0], node.inputs[1]) if isinstance(op_, Dot) \
            else (node.inputs[2], node.inputs[3])
        sa, sb = src(a), src(b)
        dot = sa[:-1] + sb[:-2] + (sb[-1:] if b.ndim >= 2 else ())
        if isinstance(op_, Gemm):
            sc = src(node.inputs[0])
            return tuple(_union(x, y) for x, y in zip(dot, sc))
        return dot
    return _leaf(var)


def sources_of(fgraph: FunctionGraph, var: Variable) -> tuple[Sources, ...]:
    """`dim_sources` with a cache kept on the graph (variables never change owner)."""
    cache = getattr(fgraph, _CACHE_ATTR, None)
    if cache is None:
        cache = {}
        setattr(fgraph, _CACHE_ATTR, cache)
    return dim_sources(var, cache)


def _size_of(source: Any) -> Variable:
    if isinstance(source[0], str):  # ("size", s)
        return constant(np.asarray(source[1], dtype="int64"))
    var, d = source
    return Subtensor(("i",))(Shape()(var), constant(d, dtype="int64"))


def broadcast_size(sources: Sources) -> Variable:
    """The run-time size a dim with these sources has: numpy's broadcast of their sizes
    (`a if b == 1 else b`, folded left; valid whenever the broadcast itself is)."""
    if not sources:
        return constant(np.asarray(1, dtype="int64"))
    sizes = [_size_of(s) for s in sources]
    total = sizes[0]
    one = constant(np.asarray(1, dtype="int64"))
    for size in sizes[1:]:
        total = op("switch", op("eq", size, one), total, size)
    return total


@register("canonicalize", "fast_run", tracks=(Subtensor,))
def shape_i_from_sources(fgraph: FunctionGraph, node: Apply) -> Any:
    """shape(v)[i] of a computed v -> the broadcast of its dim's source sizes."""
    src, *index = node.inputs
    if node.op.spec != ("i",) or src.owner is None or not isinstance(src.owner.op, Shape) \
            or not isinstance(index[0], Constant):
        return None
    v = src.owner.inputs[0]
    i = int(index[0].data)
    if v.owner is None or not -v.ndim <= i < v.ndim:
        return None
    sources = sources_of(fgraph, v)[i % v.ndim]
    if any(s[0] is v for s in sources):
        return None
    new = broadcast_size(sources)
    return [new] if new.dtype == node.outputs[0].dtype else None


@register("canonicalize", "fast_run", tracks=(SumToShape,))
def sum_to_shape_identity(fgraph: FunctionGraph, node: Apply) -> Any:
    """SumToShape(g, like) -> g when g's dims have the sources of like's (equal shapes);
    a full sum when `like` is 0-d (a scalar broadcasts to any shape: a Reduce, which
    every compiled backend runs, and like's value is not read at all)."""
    g, like = node.inputs
    if like.ndim == 0 and g.ndim > 0:
        return [Reduce("add", tuple(range(g.ndim)), g.dtype)(g)]
    if g.ndim != like.ndim:
        return None
    sg, sl = sources_of(fgraph, g), sources_of(fgraph, like)
    if all(set(a) == set(b) for a, b in zip(sg, sl)):
        return [g]
    proxy = shape_proxy(fgraph, like)
    return None if proxy is like else [SumToShape()(g, proxy)]


def _same_sources(fgraph: FunctionGraph, a: Variable, b: Variable) -> bool:
    return a.ndim == b.ndim and all(
        set(x) == set(y) for x, y in zip(sources_of(fgraph, a), sources_of(fgraph, b)))


def shape_proxy(fgraph: FunctionGraph, var: Variable) -> Variable:
    """The earliest elementwise ancestor of `var` with the same dim sources (so the same
    run-time shape): a user of var's shape only can read it instead, and var's value is
    free to be fused into its other users."""
    while var.owner is not None and (
            isinstance(var.owner.op, Elemwise) or (isinstance(var.owner.op, FusedElemwise)
                                                   and not var.owner.op.kernel.is_reduction)):
        # not a Dot: a second user would keep `dot + c` from becoming one Gemm
        nxt = next((v for v in var.owner.inputs if _same_sources(fgraph, v, var)
                    and not (v.owner is not None and isinstance(v.owner.op, Dot))), None)
        if nxt is None:
            break
        var = nxt
    return var


@register("canonicalize", "fast_run", tracks=(Elemwise,))
def fill_from_proxy(fgraph: FunctionGraph, node: Apply) -> Any:
    """second(a, c) -> second(p, c), p the earliest ancestor of a with a's shape (second
    reads only a's shape: a is then free to be fused into its other users)."""
    if getattr(node.op.scalar_op, "name", None) != "second" or node.op.inplace_pattern:
        return None
    a, c = node.inputs
    proxy = shape_proxy(fgraph, a)
    return None if proxy is a else [op("second", proxy, c)]
