"""Per-shape plans of a compiled function driver: every variable's dims and byte strides.

Once the inputs' shapes and strides are known, every other layout of the graph follows,
so it is worked out once per input signature, in Python, with the ops' own checks and
messages (`KernelRunner.broadcast`, the products' alignment), like a scan step's plan
(`scan_plan`, whose product and view rules are reused). Intermediate results get
64-byte-aligned regions of one workspace the driver keeps and reuses from call to call;
`Shape` values are written into the plan's small int64 array. `NeedsFallback` (a
SumToShape that must sum, a view op that copies) sends the calls with these layouts to
the per-node schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tensordsl.backends.c import runtime, small_gemm
from tensordsl.backends.c.driver_graph import (
    DIRECT_SLOT,
    DriverGraph,
    ReshapeNode,
    ShapeNode,
    last_uses,
)
from tensordsl.backends.c.scan_graph import GemmNode, KernelNode, ViewNode
from tensordsl.backends.c.scan_plan import (
    ALIGN,
    NeedsFallback,
    contiguous_strides,
    gemm_plan,
    kernel_out_shape,
    strided_stand_in,
    value_meta,
    view_plan,
)
from tensordsl.ops.subtensor import Subtensor, build_index

__all__ = ["Plan", "make_plan", "NeedsFallback"]


@dataclass
class Plan:
    """What one call with these input layouts needs besides the data pointers."""

    meta: np.ndarray  # int64: per variable dims, strides, flags, offset; per product 8
    workspace: int  # bytes of intermediate regions
    data: np.ndarray  # int64 values of Shape nodes (their offsets are in meta)
    out_shapes: list[tuple[int, ...]]


def make_plan(graph: DriverGraph, runners: dict[int, runtime.KernelRunner],
              layouts: list[tuple[tuple[int, ...], tuple[int, ...]]]) -> Plan:
    """The plan for function inputs of these (shape, byte strides), in input order."""
    shape: list[Any] = [None] * len(graph.vars)
    strides: list[Any] = [None] * len(graph.vars)
    offset = [0] * len(graph.vars)
    for j, (s, st) in enumerate(layouts):
        shape[j], strides[j] = s, st
    for v in graph.vars[len(layouts):]:
        if v.kind == "const":
            arr = graph.consts[v.which]
            shape[v.index], strides[v.index] = arr.shape, arr.strides
    direct = {o for o, d in zip(graph.outputs, graph.direct) if d}
    regions = Regions()
    last = last_uses(graph)
    data: list[int] = []
    meta_extra: list[tuple[int, int]] = []
    owned: dict[int, int] = {}  # variable -> its region's start, while it is live
    for pos, n in enumerate(graph.nodes):
        scratch: list[int] = []
        if isinstance(n, KernelNode):
            out_shape = kernel_out_shape(runners[pos], n, shape)
            for o in n.outs:
                item = np.dtype(graph.vars[o].dtype).itemsize
                shape[o], strides[o] = out_shape, contiguous_strides(out_shape, item)
                if o not in direct:
                    offset[o] = owned[o] = regions.take(int(np.prod(out_shape)) * item)
        elif isinstance(n, GemmNode):
            regions.taken = []
            meta_extra += gemm_plan(n, shape, strides, offset, regions.take)
            (m, k), cols = shape[n.a], shape[n.b][1]
            in_place_b = small_gemm.use_direct(m, k, cols, n.dtype, strides[n.b])
            meta_extra.append((n.meta + DIRECT_SLOT, int(in_place_b)))
            *scratch, result = regions.taken  # gemm_plan takes the result's region last
            if n.out in direct:  # the result goes to its output array
                regions.give(result)
                offset[n.out] = 0
            else:
                owned[n.out] = result
        elif isinstance(n, ViewNode):
            _view(n, graph, shape, strides, offset)
        elif isinstance(n, ReshapeNode):
            _reshape(n, graph, shape, strides)
        elif isinstance(n, ShapeNode):
            values = shape[n.src]
            shape[n.out], strides[n.out] = (len(values),), (8,)
            offset[n.out] = 8 * len(data)
            data += [int(d) for d in values]
        # regions whose values nobody reads after this node are free for later results
        # (never before: a node's results must not overlap its operands)
        for start in scratch:
            regions.give(start)
        for var in [v for v, p in last.items() if p == pos and v in owned]:
            regions.give(owned.pop(var))
    meta = value_meta(graph, shape, strides, offset, meta_extra, "function driver")
    return Plan(meta, regions.size, np.array(data or [0], np.int64),
                [tuple(shape[o]) for o in graph.outputs])


def _view(n: ViewNode, graph: DriverGraph, shape: list, strides: list, offset: list) -> None:
    """A view's layout (`scan_plan.view_plan`), except that a Subtensor indexes the
    stand-in with a trailing Ellipsis: an integer index that leaves 0 dims then gives a
    0-d view rather than a copied scalar (the shape of a matrix, x.shape[0])."""
    if not isinstance(n.node.op, Subtensor):
        view_plan(n, graph, shape, strides, offset)  # type: ignore[arg-type]
        return
    src_shape, src_strides = shape[n.src], strides[n.src]
    stand_in = strided_stand_in(src_shape, src_strides, graph.vars[n.src].dtype)
    index = build_index(n.node.op.spec, n.index_values)
    index = (index if isinstance(index, tuple) else (index,)) + (Ellipsis,)
    view = stand_in[index]  # an IndexError: the schedule raises the op's own message
    if view.size and not np.shares_memory(view, stand_in):
        raise NeedsFallback(f"{n.node.op} copies")
    shape[n.out], strides[n.out] = view.shape, view.strides
    offset[n.out] = view.__array_interface__["data"][0] - \
        stand_in.__array_interface__["data"][0]


class Regions:
    """64-byte-aligned regions of one workspace: `take` the first free block that fits
    (or grow the workspace), `give` a region back (merged with free neighbours)."""

    def __init__(self) -> None:
        self.size = 0
        self.free: list[tuple[int, int]] = []  # (start, bytes), sorted by start
        self.used: dict[int, int] = {}  # start -> bytes
        self.taken: list[int] = []  # every region taken, in order (a product's regions)

    def take(self, nbytes: int) -> int:
        need = -(-max(nbytes, 1) // ALIGN) * ALIGN
        for k, (start, size) in enumerate(self.free):
            if size >= need:
                if size == need:
                    del self.free[k]
                else:
                    self.free[k] = (start + need, size - need)
                self.used[start] = need
                self.taken.append(start)
                return start
        if self.free and self.free[-1][0] + self.free[-1][1] == self.size:
            start = self.free.pop()[0]  # grow the free block at the end
        else:
            start = self.size
        self.size = start + need
        self.used[start] = need
        self.taken.append(start)
        return start

    def give(self, start: int) -> None:
        size = self.used.pop(start)
        self.free.append((start, size))
        self.free.sort()
        merged: list[tuple[int, int]] = []
        for s, n in self.free:
            if merged and merged[-1][0] + merged[-1][1] == s:
                merged[-1] = (merged[-1][0], merged[-1][1] + n)
            else:
                merged.append((s, n))
        self.free = merged


def _reshape(n: ReshapeNode, graph: DriverGraph, shape: list, strides: list) -> None:
    """Size-1 dims inserted into or removed from `src`'s layout (same data, offset 0)."""
    dims, steps = list(shape[n.src]), list(strides[n.src])
    item = np.dtype(graph.vars[n.src].dtype).itemsize
    for axis in n.insert:  # a size-1 dim's stride is never used to step
        dims.insert(axis, 1)
        steps.insert(axis, item)
    for axis in sorted(n.remove, reverse=True):
        del dims[axis], steps[axis]
    shape[n.out], strides[n.out] = tuple(dims), tuple(steps)
