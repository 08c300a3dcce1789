"""A scan step's inner graph as the compiled loop sees it: numbered variables and nodes.

`describe(op, inner)` classifies every node of the (rewritten) step graph as a kernel
(kernel.lower), a matrix product (Dot, Gemm of 2-d operands, BLAS ?gemm) or a view
(DimShuffle, Subtensor with constant indices, SumToShape when no sum is needed), and
gives every variable a number and a place in the `meta` array of per-call layouts
(dims, byte strides, flags, offset). Anything else raises Unsupported: the Scan then
runs its Python loop (`Scan.perform_with`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tensordsl.backends.c import small_gemm
from tensordsl.backends.c.lowering import Unsupported
from tensordsl.gradient.sum_to import SumToShape
from tensordsl.graph.basic import Apply, Constant, Variable
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.kernel.ir import Kernel
from tensordsl.kernel.lower import lower_node
from tensordsl.ops.blas import Dot, Gemm
from tensordsl.ops.elemwise import DimShuffle
from tensordsl.ops.subtensor import IncSubtensor, Subtensor

FLOATS = ("float32", "float64")


@dataclass
class Var:
    """One variable of the step: where its data comes from and its slots in `meta`."""

    index: int
    ndim: int
    dtype: str
    kind: str  # 'seq', 'state', 'nonseq', 'const', 'node'
    which: int = 0  # the sequence / state / non-sequence / constant number
    tap: int = 0
    meta: int = 0  # dims at meta[meta:], strides after them, then flags, then offset

    @property
    def dims_at(self) -> int:
        return self.meta

    @property
    def strides_at(self) -> int:
        return self.meta + self.ndim

    @property
    def flags_at(self) -> int:
        return self.meta + 2 * self.ndim

    @property
    def offset_at(self) -> int:
        return self.meta + 2 * self.ndim + 1


@dataclass
class KernelNode:
    """A kernel-shaped node: its Kernel, the variables it reads and writes."""

    node: Apply
    kernel: Kernel
    ins: list[int]
    outs: list[int]
    labels: list[str] = field(default_factory=list)  # each kernel input, for messages
    entry: str = ""


@dataclass
class GemmNode:
    """out = alpha * a @ b (+ beta * c): one ?gemm call; `meta` holds 8 per-call slots
    (per operand: BLAS mode, leading dim, scratch offset; then c's broadcast strides)."""

    node: Apply
    a: int
    b: int
    c: int | None
    alpha: float
    beta: float
    out: int
    dtype: str
    meta: int = 0
    # b is the same at every step (scan loops only): 2 per-call slots at meta[pack_at:]
    # say whether the generated small kernel runs it and where b's packed copy lives
    # (small_gemm); -1: always ?gemm
    pack_at: int = -1
    # only its shape is read (the `like` of SumToShape views): never computed
    shape_only: bool = False


@dataclass
class ViewNode:
    """A view of `src` (the op's perform applied to a stand-in array says how), or the
    source itself (SumToShape whose shapes agree)."""

    node: Apply
    src: int
    out: int
    index_values: list[Any] = field(default_factory=list)
    like: int = -1  # SumToShape: the variable whose shape it sums to


@dataclass
class IncNode:
    """out = x with x[index] incremented by (or set to) y, broadcast: one copy of x (none
    when `inplace`: out takes x's region, x being read by nothing else), then one pass over
    the indexed view. `meta` holds 3 * `vnd` + 1 per-call slots: the view's dims, its byte
    strides in out, y's byte strides lined up with them (0 where y broadcasts), the view's
    byte offset."""

    node: Apply
    x: int
    y: int
    out: int
    index_values: list[Any]
    set_: bool
    dtype: str
    vnd: int
    inplace: bool = False
    meta: int = 0


@dataclass
class StepGraph:
    """The numbered step: variables, nodes in order, and the inner outputs' variables."""

    vars: list[Var]
    nodes: list[Any]
    outputs: list[int]  # the states' new values, then the per-step outputs
    consts: list[np.ndarray]
    meta_size: int
    rows_at: dict[tuple[str, int], int]  # ('seq'|'state'|'nit', i) -> meta slot of row stride
    copy_at: list[int]  # per inner output: meta slot of its 'contiguous copy' flag
    # per inner output: the node output (a kernel's or a product's) it is, or is a view
    # of, which may be computed straight into the output's row (-1: none), and the meta
    # slot of the per-call flag saying whether it is (scan_plan decides)
    direct: list[int] = field(default_factory=list)
    direct_at: list[int] = field(default_factory=list)
    cond: int = -1  # an `until` loop's condition variable (-1: not a while loop)


VALUE_DTYPES = FLOATS + ("int64", "int32", "int16", "int8", "uint8", "bool")


class Numbering:
    """The variables of a graph a generated unit runs, numbered as they are met: `add`
    gives a variable its number (its kind says where its data comes from), `operand` the
    number of a node's input (a constant not met before becomes a "const" variable, its
    data kept in `consts`). Unsupported for a dtype the unit cannot hold, a value of
    more than `max_dims` dims, or an input nothing in the graph produces."""

    def __init__(self, suffix: str, producers: str, max_dims: int | None = None) -> None:
        self.suffix, self.producers, self.max_dims = suffix, producers, max_dims
        self.index: dict[Variable, int] = {}
        self.vars: list[Var] = []
        self.consts: list[np.ndarray] = []

    def add(self, var: Variable, kind: str, which: int = 0, tap: int = 0) -> int:
        """Number `var` (kind: where its data comes from; which/tap: which of those)."""
        if var.dtype not in VALUE_DTYPES:
            raise Unsupported(f"a {var.dtype} value{self.suffix}")
        if self.max_dims is not None and var.ndim > self.max_dims:
            raise Unsupported(f"a value of more than {self.max_dims} dims")
        self.index[var] = len(self.vars)
        self.vars.append(Var(len(self.vars), var.ndim, var.dtype, kind, which, tap))
        return self.index[var]

    def operand(self, var: Variable) -> int:
        """The number of a node input: numbered already, or a constant numbered now."""
        if var not in self.index:
            if not isinstance(var, Constant):
                raise Unsupported(f"{var!r} has no producer in {self.producers}")
            self.add(var, "const", len(self.consts))
            self.consts.append(np.ascontiguousarray(np.asarray(var.data, dtype=var.dtype)))
        return self.index[var]


def describe(op: Any, inner: FunctionGraph) -> StepGraph:
    """Number the variables and classify the nodes of `inner`, or raise Unsupported."""
    numbering = Numbering(" in the step", "the step")
    add, operand = numbering.add, numbering.operand
    vars_, consts = numbering.vars, numbering.consts
    inputs = iter(inner.inputs)
    for i, taps in enumerate(op.seq_taps):
        for tap in taps:
            add(next(inputs), "seq", i, tap)
    for k, taps in enumerate(op.rec_taps):
        for tap in taps:
            add(next(inputs), "state", k, tap)
    for m in range(op.n_nonseq):
        add(next(inputs), "nonseq", m)

    nodes: list[Any] = []
    for node in inner.toposort():
        nodes.append(classify_node(node, operand, add))
    # an `until` loop's last inner output is its condition (0-d), not stored anywhere
    n_data = len(inner.outputs) - int(op.as_while)
    outputs = [operand(v) for v in inner.outputs[:n_data]]
    cond = operand(inner.outputs[-1]) if op.as_while else -1
    if op.as_while and inner.outputs[-1].ndim != 0:
        raise Unsupported("a non-scalar until condition")
    meta = 0
    for v in vars_:
        v.meta = meta
        meta += 2 * v.ndim + 2
    _mark_shape_only(nodes, outputs + [cond])
    invariant = small_gemm.invariant_vars(vars_, nodes, ViewNode)
    for n in nodes:
        if isinstance(n, GemmNode):
            n.meta = meta
            meta += 8
            if n.b in invariant:
                n.pack_at = meta
                meta += 2
        elif isinstance(n, IncNode):
            n.meta = meta
            meta += 3 * n.vnd + 1
    _mark_inplace(inner, nodes, outputs)
    rows_at = {}
    for key in ([("seq", i) for i in range(op.n_seqs)] + [("state", k) for k in range(op.n_rec)]
                + [("nit", j) for j in range(op.n_nit)]):
        rows_at[key] = meta
        meta += 1
    copy_at = list(range(meta, meta + len(outputs)))
    meta += len(outputs)
    direct_at = list(range(meta, meta + len(outputs)))
    meta += len(outputs)
    return StepGraph(vars_, nodes, outputs, consts, meta, rows_at, copy_at,
                     _direct_bases(nodes, outputs), direct_at, cond)


def _mark_shape_only(nodes: list[Any], outputs: list[int]) -> None:
    """Mark the products whose result only a SumToShape reads as its `like` (the plan
    knows every shape before the loop runs): a gradient's `sum_to(g, x @ W)` keeps the
    product in the step for its shape alone (an RNN's backward step would repeat both
    forward products for nothing)."""
    read = set(outputs)
    for n in nodes:
        if isinstance(n, KernelNode):
            read.update(n.ins)
        elif isinstance(n, GemmNode):
            read.update(v for v in (n.a, n.b, n.c) if v is not None)
        elif isinstance(n, ViewNode):
            read.add(n.src)
        elif isinstance(n, IncNode):
            read.update((n.x, n.y))
    for n in nodes:
        if isinstance(n, GemmNode) and n.out not in read:
            n.shape_only = True


def _mark_inplace(inner: FunctionGraph, nodes: list[Any], outputs: list[int]) -> None:
    """An IncNode updates x in x's own workspace region when x is a kernel's, product's or
    update's result that nothing else reads (no other node, no view, not an inner output)."""
    made = {o for n in nodes if isinstance(n, KernelNode) for o in n.outs}
    made |= {n.out for n in nodes if isinstance(n, (GemmNode, IncNode))}
    for n in nodes:
        if not isinstance(n, IncNode):
            continue
        x = n.node.inputs[0]
        users = inner.clients.get(x, [])
        n.inplace = (n.x in made and n.x not in outputs and len(users) == 1
                     and users[0] == (n.node, 0))


def _direct_bases(nodes: list[Any], outputs: list[int]) -> list[int]:
    """Per inner output, the kernel or product output it is or views (see StepGraph)."""
    producer = {}
    for n in nodes:
        for o in (n.outs if isinstance(n, KernelNode) else [n.out]):
            producer[o] = n
    bases, taken = [], set()
    for o in outputs:
        base = o
        while isinstance(producer.get(base), ViewNode):
            base = producer[base].src
        ok = isinstance(producer.get(base), (KernelNode, GemmNode)) and base not in taken
        bases.append(base if ok else -1)
        taken.add(base)
    return bases


def _constant_value(var: Variable, who: str) -> Any:
    if not isinstance(var, Constant):
        raise Unsupported(f"{who} of a non-constant {var!r}")
    return np.asarray(var.data).item()


def classify_node(node: Apply, operand: Any, add: Any) -> Any:
    """The loop node (product, increment, view, ...) that runs `node`, its inputs numbered
    by `operand` and new nodes registered by `add`; Unsupported when C cannot run it
    (shared by the scan loop and the function driver)."""
    op = node.op
    if isinstance(op, (Dot, Gemm)):
        return _gemm(node, operand, add)
    if isinstance(op, IncSubtensor):
        return _inc(node, operand, add)
    if isinstance(op, (DimShuffle, Subtensor, SumToShape)):
        if isinstance(op, Subtensor) and "a" in op.spec:
            raise Unsupported("advanced indexing in the step")
        src = operand(node.inputs[0])
        extra = node.inputs[1:] if not isinstance(op, SumToShape) else []
        values = [_constant_value(v, str(op)) for v in extra]
        like = operand(node.inputs[1]) if isinstance(op, SumToShape) else -1
        return ViewNode(node, src, add(node.outputs[0], "node"), values, like)
    lowered = lower_node(node)
    if lowered is None:
        raise Unsupported(f"{op} in the step")
    kernel, loaded = lowered
    ins = [operand(node.inputs[i]) for i in loaded]
    return KernelNode(node, kernel, ins, [add(o, "node") for o in node.outputs],
                      [repr(node.inputs[i]) for i in loaded])


def _gemm(node: Apply, operand: Any, add: Any) -> GemmNode:
    out = node.outputs[0]
    if out.dtype not in FLOATS:
        raise Unsupported(f"a {out.dtype} matrix product")
    if isinstance(node.op, Dot):
        a, b = node.inputs
        c, alpha, beta = None, 1.0, 0.0
    else:
        c, alpha_v, a, b, beta_v = node.inputs
        alpha, beta = _constant_value(alpha_v, "gemm"), _constant_value(beta_v, "gemm")
    if a.ndim != 2 or b.ndim != 2 or a.dtype != out.dtype or b.dtype != out.dtype:
        raise Unsupported(f"{node.op} of {a.type} and {b.type} (2-d {out.dtype} only)")
    c_index = operand(c) if c is not None else None
    if c is not None and (c.ndim != 2 or c.dtype != out.dtype):
        raise Unsupported(f"gemm with c of type {c.type}")
    return GemmNode(node, operand(a), operand(b), c_index, float(alpha), float(beta),
                    add(out, "node"), out.dtype)


def _inc(node: Apply, operand: Any, add: Any) -> IncNode:
    op = node.op
    if "a" in op.spec:
        raise Unsupported("advanced indexing in the step")
    x, y, *extra = node.inputs
    if y.dtype != x.dtype or x.dtype == "bool":  # numpy's bool `+=` is a logical or
        raise Unsupported(f"{op} of a {y.dtype} value into {x.dtype}")
    values = [_constant_value(v, str(op)) for v in extra]
    vnd = x.ndim - sum(1 for e in op.spec if e == "i")
    return IncNode(node, operand(x), operand(y), add(node.outputs[0], "node"), values,
                   bool(op.set_instead_of_inc), x.dtype, vnd)
