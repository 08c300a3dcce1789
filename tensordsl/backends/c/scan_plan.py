"""Per-call layouts of a compiled scan loop: every step variable's dims and byte strides.

Shapes inside a scan are the same at every step (a state keeps its initial value's
shape, a sequence's rows all have one shape, non-sequences are fixed), so they are
worked out once per call, here in Python with the ops' own checks and messages, and
the C loop reads them from one int64 array (`meta`). Intermediate values get regions of
one workspace, sized once per call; views get an offset from their source. A plan is
keyed by the layouts of the step's inputs, so repeated calls with the same shapes reuse it.

`NeedsFallback` marks a layout the loop does not handle (a SumToShape that must sum);
the Scan then runs its Python loop for that call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tensordsl.backends.c import runtime, small_gemm
from tensordsl.backends.c.scan_graph import GemmNode, IncNode, KernelNode, StepGraph, ViewNode
from tensordsl.gradient.sum_to import SumToShape
from tensordsl.ops.subtensor import build_index, spec_str

ALIGN = 64  # workspace regions start on cache lines


class NeedsFallback(Exception):
    """This call's layouts are outside what the compiled loop handles."""


@dataclass
class Plan:
    """What one call needs besides the data pointers."""

    meta: np.ndarray  # int64
    workspace: int  # bytes
    nit_shapes: list[tuple[int, ...]]


def c_contiguous(shape: tuple[int, ...], strides: tuple[int, ...], item: int) -> bool:
    """numpy's C-contiguity rule (size-1 dims' strides do not matter; empty is contiguous)."""
    if 0 in shape:
        return True
    expected = item
    for size, stride in zip(reversed(shape), reversed(strides)):
        if size != 1 and stride != expected:
            return False
        expected *= size
    return True


def contiguous_strides(shape: tuple[int, ...], item: int) -> tuple[int, ...]:
    """Row-major byte strides of `shape`."""
    out, acc = [], item
    for size in reversed(shape):
        out.append(acc)
        acc *= max(size, 1)
    return tuple(reversed(out))


class ShapeOnly:
    """A stand-in with only `.shape` (what KernelRunner.broadcast reads)."""

    def __init__(self, shape: tuple[int, ...]) -> None:
        self.shape = shape


def make_plan(graph: StepGraph, runners: dict[int, runtime.KernelRunner],
              layouts: list[tuple[tuple[int, ...], tuple[int, ...]]]) -> Plan:
    """The plan for step inputs of these (shape, byte strides), in inner-input order."""
    n_in = len(layouts)
    shape: list[Any] = [None] * len(graph.vars)
    strides: list[Any] = [None] * len(graph.vars)
    offset = [0] * len(graph.vars)
    for j, (s, st) in enumerate(layouts):
        shape[j], strides[j] = s, st
    for v in graph.vars[n_in:]:
        if v.kind == "const":
            arr = graph.consts[v.which]
            shape[v.index], strides[v.index] = arr.shape, arr.strides
    ws = 0

    def region(nbytes: int) -> int:
        nonlocal ws
        start = ws
        ws += -(-max(nbytes, 1) // ALIGN) * ALIGN
        return start

    meta_extra: list[tuple[int, int]] = []
    for pos, n in enumerate(graph.nodes):
        if isinstance(n, KernelNode):
            out_shape = kernel_out_shape(runners[pos], n, shape)
            for o in n.outs:
                item = np.dtype(graph.vars[o].dtype).itemsize
                shape[o], strides[o] = out_shape, contiguous_strides(out_shape, item)
                offset[o] = region(int(np.prod(out_shape)) * item)
        elif isinstance(n, GemmNode):
            meta_extra += gemm_plan(n, shape, strides, offset, region)
            if n.pack_at >= 0:  # b is the same at every step: the small kernel may run it
                (m, k), cols = shape[n.a], shape[n.b][1]
                small = not n.shape_only and small_gemm.use_small(m, k, cols, n.dtype)
                packed = region(small_gemm.packed_bytes(k, cols, n.dtype)) if small else 0
                meta_extra += [(n.pack_at, int(small)), (n.pack_at + 1, packed)]
        elif isinstance(n, ViewNode):
            view_plan(n, graph, shape, strides, offset)
        elif isinstance(n, IncNode):
            meta_extra += _inc_plan(n, shape, strides, offset, region)
    meta = value_meta(graph, shape, strides, offset, meta_extra, "scan step")
    for j, o in enumerate(graph.outputs):
        item = np.dtype(graph.vars[o].dtype).itemsize
        base = graph.direct[j]
        if base >= 0:  # the same bytes in the same order: compute it in the row itself
            same = (c_contiguous(shape[base], strides[base], item)
                    and meta[graph.copy_at[j]] and _view_offset(graph, o, base, offset) == 0
                    and np.prod(shape[base]) == np.prod(shape[o]))
            meta[graph.direct_at[j]] = int(same)
    return Plan(meta, ws, [tuple(shape[o]) for o in graph.outputs])


def value_meta(graph: Any, shape: list, strides: list, offset: list,
               meta_extra: list[tuple[int, int]], who: str) -> np.ndarray:
    """The int64 table a generated loop or driver reads its values' geometry from: per
    value its shape, strides (0 on size-1 dims), C-contiguity and workspace offset, then
    the nodes' own entries (`meta_extra`) and whether each output is C-contiguous."""
    meta = np.zeros(graph.meta_size, np.int64)
    for v in graph.vars:
        nd, at = v.ndim, v.meta
        if len(shape[v.index]) != nd:
            raise ValueError(f"{who}: a value of {nd} dims has shape {shape[v.index]}")
        meta[at:at + nd] = shape[v.index]
        meta[at + nd:at + 2 * nd] = [0 if d == 1 else s
                                     for d, s in zip(shape[v.index], strides[v.index])]
        item = np.dtype(v.dtype).itemsize
        meta[at + 2 * nd] = int(c_contiguous(shape[v.index], strides[v.index], item))
        meta[at + 2 * nd + 1] = offset[v.index]
    for slot, value in meta_extra:
        meta[slot] = value
    for j, o in enumerate(graph.outputs):
        item = np.dtype(graph.vars[o].dtype).itemsize
        meta[graph.copy_at[j]] = int(c_contiguous(shape[o], strides[o], item))
    return meta


def _view_offset(graph: StepGraph, var: int, base: int, offset: list) -> int:
    """Bytes from `base`'s data to `var`'s, `var` being a chain of views of `base`."""
    views = {n.out: n for n in graph.nodes if isinstance(n, ViewNode)}
    total = 0
    while var != base:
        total += offset[var]
        var = views[var].src
    return total


def kernel_out_shape(runner: Any, n: KernelNode, shape: list) -> tuple[int, ...]:
    """A kernel node's output shape from its inputs' shapes (the scan loop's plan and the
    function driver's share it); a ValueError for maximum/minimum over an empty dim."""
    out_shape = runner.broadcast([ShapeOnly(shape[i]) for i in n.ins])
    k = n.kernel
    if k.is_reduction:
        if runner.no_identity and any(out_shape[d] == 0 for d in k.reduce_axes):
            raise ValueError(f"{runner.who}: cannot reduce an empty dim (shape "
                             f"{out_shape}) with maximum/minimum: it has no identity")
        out_shape = tuple(out_shape[d] for d in runner.kept)
    return out_shape


def gemm_plan(n: GemmNode, shape: list, strides: list, offset: list,
              region: Any) -> list[tuple[int, int]]:
    """Check a product's operand and c shapes, give its output a contiguous region; the
    (meta slot, value) pairs of its plan: per operand the BLAS mode, leading dimension and
    scratch offset (for operands copied first), then c's broadcast strides."""
    (m, ka), (kb, cols) = shape[n.a], shape[n.b]
    who = str(n.node.op)
    if ka != kb:
        a_var, b_var = n.node.inputs[-3:-1] if n.c is not None else n.node.inputs
        raise ValueError(f"{who}: shapes {shape[n.a]} ({a_var!r}) and {shape[n.b]} "
                         f"({b_var!r}) are not aligned: {ka} != {kb}")
    item = np.dtype(n.dtype).itemsize
    out_shape = (m, cols)
    slots: list[tuple[int, int]] = []
    for pos, (var, rows, width) in enumerate(((n.a, m, ka), (n.b, kb, cols))):
        mode, ld = _blas_operand(rows, width, strides[var], item)
        scratch = region(rows * width * item) if mode == 2 else 0
        slots += [(n.meta + 3 * pos, mode), (n.meta + 3 * pos + 1, ld),
                  (n.meta + 3 * pos + 2, scratch)]
    if n.c is not None:
        cs = shape[n.c]
        for d in range(2):
            if cs[d] not in (1, out_shape[d]):
                raise ValueError(f"{who}: c of shape {cs} does not broadcast to the product's "
                                 f"shape {out_shape}")
        slots += [(n.meta + 6 + d, 0 if cs[d] == 1 else strides[n.c][d]) for d in range(2)]
    shape[n.out], strides[n.out] = out_shape, contiguous_strides(out_shape, item)
    offset[n.out] = region(m * cols * item)
    return slots


def _inc_plan(n: IncNode, shape: list, strides: list, offset: list,
              region: Any) -> list[tuple[int, int]]:
    """out: x's shape, contiguous, in x's region (in place) or its own; the indexed view
    of it and y's strides lined up with the view (IncSubtensor.perform's checks)."""
    item = np.dtype(n.dtype).itemsize
    out_shape = tuple(shape[n.x])
    out_strides = contiguous_strides(out_shape, item)
    shape[n.out], strides[n.out] = out_shape, out_strides
    offset[n.out] = offset[n.x] if n.inplace else region(int(np.prod(out_shape)) * item)
    op, x_var = n.node.op, n.node.inputs[0]
    verb = "set" if n.set_ else "inc"
    index = build_index(op.spec, n.index_values)
    stand_in = strided_stand_in(out_shape, out_strides, n.dtype)
    try:
        view = stand_in[index + (Ellipsis,)]  # a 0-d view, not a scalar, for all-int
    except IndexError as err:
        raise IndexError(f"{op}: cannot {verb} {x_var!r}{spec_str(op.spec, index)} (shape "
                         f"{out_shape}) with a value of shape {tuple(shape[n.y])}: "
                         f"{err}") from None
    y_shape, y_strides = tuple(shape[n.y]), tuple(strides[n.y])
    lead = n.vnd - len(y_shape)
    if lead < 0 or any(ys not in (1, vs) for ys, vs in zip(y_shape, view.shape[lead:])):
        raise ValueError(f"{op}: cannot {verb} {x_var!r}{spec_str(op.spec, index)} (shape "
                         f"{out_shape}) with a value of shape {y_shape}: it does not "
                         f"broadcast to the indexed shape {view.shape}")
    y_lined = [0] * lead + [0 if ys == 1 else st for ys, st in zip(y_shape, y_strides)]
    base = stand_in.__array_interface__["data"][0]
    start = view.__array_interface__["data"][0] - base if view.size else 0
    values = [*view.shape, *view.strides, *y_lined, start]
    return [(n.meta + k, int(v)) for k, v in enumerate(values)]


def _blas_operand(rows: int, cols: int, st: tuple[int, int], item: int) -> tuple[int, int]:
    """(mode, leading dim in elements) of a row-major rows x cols operand: 0 its rows are
    contiguous (BLAS sees its transpose as is), 1 its columns are (BLAS transposes), 2 it
    is copied first. A dim of size 1 accepts any stride."""
    def leading(step: int, others: int) -> int | None:
        if step <= 0 or step % item or step // item < max(1, others):
            return None
        return step // item

    row_step = st[0] if rows > 1 else max(cols, 1) * item
    if cols <= 1 or st[1] == item:
        ld = leading(row_step, cols)
        if ld is not None:
            return 0, ld
    col_step = st[1] if cols > 1 else max(rows, 1) * item
    if rows <= 1 or st[0] == item:
        ld = leading(col_step, rows)
        if ld is not None:
            return 1, ld
    return 2, max(1, cols)


def view_plan(n: ViewNode, graph: StepGraph, shape: list, strides: list,
              offset: list) -> None:
    """Fill a view's shape, strides and offset from its source's."""
    src_shape, src_strides = shape[n.src], strides[n.src]
    if isinstance(n.node.op, SumToShape):
        like = shape[n.like]
        if tuple(like) != tuple(src_shape):
            raise NeedsFallback("SumToShape that sums")
        shape[n.out], strides[n.out], offset[n.out] = src_shape, src_strides, 0
        return
    stand_in = strided_stand_in(src_shape, src_strides, graph.vars[n.src].dtype)
    (view,) = n.node.op.perform(n.node, [stand_in, *n.index_values])
    if view.size and not np.shares_memory(view, stand_in):
        raise NeedsFallback(f"{n.node.op} copies")
    shape[n.out], strides[n.out] = view.shape, view.strides
    offset[n.out] = view.__array_interface__["data"][0] - \
        stand_in.__array_interface__["data"][0]


def strided_stand_in(shape: tuple[int, ...], strides: tuple[int, ...], dtype: str) -> np.ndarray:
    """An array of this shape and these strides over a buffer of its own (views of it are
    measured, never read)."""
    item = np.dtype(dtype).itemsize
    if 0 in shape:
        return np.empty(shape, dtype)
    low = sum((d - 1) * s for d, s in zip(shape, strides) if s < 0)
    high = sum((d - 1) * s for d, s in zip(shape, strides) if s > 0)
    base = np.zeros(high - low + item, np.uint8)
    return np.ndarray(shape, dtype, buffer=base, offset=-low, strides=strides)
