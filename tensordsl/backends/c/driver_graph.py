"""A whole function graph as the C function driver sees it: numbered variables and nodes.

A function graph is lowered like a scan step run once (`scan_graph`): every node is a
kernel (kernel.lower), a 2-d matrix product (Dot, Gemm: BLAS ?gemm, transposed operands
folded into its trans flags), a view (DimShuffle, Subtensor with constant indices,
SumToShape when no sum is needed) or a `Shape` (its values are known once the inputs'
shapes are, so the plan computes them). Anything else raises Unsupported and the
function keeps its per-node schedule.

In-place variants of kernels are lowered as ordinary kernels writing their own planned
buffer: the buffers are reused across calls anyway, and nothing the caller owns (a
shared variable's value, an argument) is then ever written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tensordsl.backends.c.lowering import Unsupported
from tensordsl.backends.c.scan_graph import (
    FLOATS,
    GemmNode,
    IncNode,
    KernelNode,
    Numbering,
    Var,
    ViewNode,
    classify_node,
)
from tensordsl.graph.basic import Apply, Constant, Variable
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.ops.blas import Dot, Gemm
from tensordsl.ops.shape import Shape

MAX_DIMS = 16  # td_copy's index counter


@dataclass
class ShapeNode:
    """out = the shape of `src` (int64), written by the plan into its constant area."""

    node: Apply
    src: int
    out: int


@dataclass
class ReshapeNode:
    """out = src with size-1 dims inserted (`insert`, positions in out) or removed
    (`remove`, positions in src): how a product of vectors becomes a 2-d ?gemm."""

    src: int
    out: int
    insert: tuple[int, ...] = ()
    remove: tuple[int, ...] = ()


@dataclass
class DriverGraph:
    """The numbered function graph: variables (inputs first), nodes in order, outputs."""

    vars: list[Var]
    nodes: list[Any]
    outputs: list[int]
    consts: list[np.ndarray]
    meta_size: int
    copy_at: list[int]  # per output: meta slot of its 'source is contiguous' flag
    # per output: True when its variable is computed straight into the output array
    # (a kernel's or product's own result, first use); else copied there at the end
    direct: list[bool] = field(default_factory=list)
    # output position -> function input position: products `c + alpha * a @ b` whose c is
    # that input, read by no later node, and whose result is that output. The caller may
    # lend the input's buffer (`DriverRunner.lend`): ?gemm then accumulates into it with
    # beta, no copy of c and no product buffer (an SGD update in its weights' buffer)
    donations: dict[int, int] = field(default_factory=dict)


def describe_function(fgraph: FunctionGraph) -> DriverGraph:
    """Number the variables and classify the nodes of `fgraph`, or raise Unsupported."""
    numbering = Numbering("", "the graph", MAX_DIMS)
    add, operand = numbering.add, numbering.operand
    vars_, consts = numbering.vars, numbering.consts
    for i, var in enumerate(fgraph.inputs):
        add(var, "input", i)

    nodes: list[Any] = []
    for node in fgraph.toposort():
        if isinstance(node.op, Shape):
            nodes.append(ShapeNode(node, operand(node.inputs[0]),
                                   add(node.outputs[0], "node")))
        elif isinstance(node.op, (Dot, Gemm)) and _vector_product(node):
            nodes += _vector_gemm(node, operand, add, vars_)
        else:
            classified = classify_node(node, operand, add)
            if isinstance(classified, IncNode):  # the scan loop's; no driver plan for it yet
                raise Unsupported(f"{node.op} (set/inc_subtensor)")
            nodes.append(classified)
    if not nodes:
        raise Unsupported("no node to run")
    outputs = [operand(v) for v in fgraph.outputs]
    nodes = _sink_updates(nodes, vars_)
    meta = 0
    for v in vars_:
        v.meta = meta
        meta += 2 * v.ndim + 2
    for n in nodes:
        if isinstance(n, GemmNode):
            n.meta = meta
            meta += GEMM_SLOTS
    copy_at = list(range(meta, meta + len(outputs)))
    meta += len(outputs)
    graph = DriverGraph(vars_, nodes, outputs, consts, meta, copy_at, _direct(nodes, outputs))
    graph.donations = donations(graph)
    return graph


# per product: `scan_plan.gemm_plan`'s 8 slots, then whether this call's layouts send it
# to the generated kernel that reads b in place (`small_gemm.use_direct`) instead of ?gemm
GEMM_SLOTS = 9
DIRECT_SLOT = 8


def _vector_product(node: Apply) -> bool:
    """A Dot or Gemm with a 1-d operand (matrix-vector, vector-matrix, inner product)."""
    a, b = node.inputs[-3:-1] if isinstance(node.op, Gemm) else node.inputs
    return 1 in (a.ndim, b.ndim) and a.ndim <= 2 and b.ndim <= 2


def _vector_gemm(node: Apply, operand: Any, add: Any, vars_: list[Var]) -> list[Any]:
    """A product with a vector as a 2-d ?gemm: a vector `a` is a (1, k) row, a vector
    `b` a (k, 1) column, `c` and the result get the matching size-1 dims."""
    gemm = isinstance(node.op, Gemm)
    a, b = node.inputs[-3:-1] if gemm else node.inputs
    out = node.outputs[0]
    if out.dtype not in FLOATS or a.dtype != out.dtype or b.dtype != out.dtype:
        raise Unsupported(f"{node.op} of {a.type} and {b.type} (float32/float64 only)")
    rows, cols = (0,) if a.ndim == 1 else (), (1,) if b.ndim == 1 else ()

    def expanded(var: Variable, insert: tuple[int, ...]) -> tuple[int, list[Any]]:
        src = operand(var)
        if not insert:
            return src, []
        new = len(vars_)
        vars_.append(Var(new, 2, var.dtype, "node"))
        return new, [ReshapeNode(src, new, insert=insert)]

    nodes: list[Any] = []
    a2, more = expanded(a, rows)
    nodes += more
    b2, more = expanded(b, cols)
    nodes += more
    c2 = None
    alpha, beta = 1.0, 0.0
    if gemm:
        c, alpha_v, _, _, beta_v = node.inputs
        if c.dtype != out.dtype:
            raise Unsupported(f"gemm with c of type {c.type}")
        alpha = float(_constant(alpha_v))
        beta = float(_constant(beta_v))
        c2, more = expanded(c, rows + cols)
        nodes += more
    result = len(vars_)
    vars_.append(Var(result, 2, out.dtype, "node"))
    nodes.append(GemmNode(node, a2, b2, c2, alpha, beta, result, out.dtype))
    nodes.append(ReshapeNode(result, add(out, "node"), remove=rows + cols))
    return nodes


def _constant(var: Variable) -> Any:
    if not isinstance(var, Constant):
        raise Unsupported(f"gemm of a non-constant {var!r}")
    return np.asarray(var.data).item()


def _direct(nodes: list[Any], outputs: list[int]) -> list[bool]:
    """Per output: is it a kernel's or product's result (contiguous, the output's shape),
    seen for the first time? Then it is computed straight into the output array."""
    computed = set()
    for n in nodes:
        if isinstance(n, KernelNode):
            computed.update(n.outs)
        elif isinstance(n, GemmNode):
            computed.add(n.out)
    taken: set[int] = set()
    direct = []
    for o in outputs:
        direct.append(o in computed and o not in taken)
        taken.add(o)
    return direct


def last_uses(graph: DriverGraph) -> dict[int, int]:
    """Per variable owning a region: the position of the last node reading it or a view
    of it (outputs copied at the end are read after every node: never freed)."""
    root: dict[int, int] = {}
    for n in graph.nodes:
        if isinstance(n, (ViewNode, ReshapeNode)):
            root[n.out] = root.get(n.src, n.src)
    last: dict[int, int] = {}
    for pos, n in enumerate(graph.nodes):
        if isinstance(n, KernelNode):
            reads = n.ins
        elif isinstance(n, GemmNode):
            reads = [n.a, n.b] + ([n.c] if n.c is not None else [])
        elif isinstance(n, ViewNode):
            reads = [n.src] + ([n.like] if n.like >= 0 else [])
        elif isinstance(n, ReshapeNode):
            reads = [n.src]
        else:
            reads = []  # a Shape reads no data
        for var in reads:
            last[root.get(var, var)] = pos
    end = len(graph.nodes)
    for o, d in zip(graph.outputs, graph.direct):
        if not d:
            last[root.get(o, o)] = end
    return last


def _reads(n: Any) -> list[int]:
    """The variables a node reads (a Shape reads no data)."""
    if isinstance(n, KernelNode):
        return list(n.ins)
    if isinstance(n, GemmNode):
        return [n.a, n.b] + ([n.c] if n.c is not None else [])
    if isinstance(n, ViewNode):
        return [n.src] + ([n.like] if n.like >= 0 else [])
    if isinstance(n, ReshapeNode):
        return [n.src]
    return []


def _sink_updates(nodes: list[Any], vars_: list[Var]) -> list[Any]:
    """`nodes` with each product `c + alpha * a @ b` whose c is a function input and whose
    result no node reads moved after the last node reading c (or a view of it): then it
    may accumulate into c's lent buffer (`donations`). The order stays topological: the
    moved node's result is read by no node, its operands exist already."""
    order = list(nodes)
    for n in nodes:
        if not isinstance(n, GemmNode) or n.c is None or vars_[n.c].kind != "input":
            continue
        root: dict[int, int] = {}
        for m in order:
            if isinstance(m, (ViewNode, ReshapeNode)):
                root[m.out] = root.get(m.src, m.src)
        if any(n.out in _reads(m) for m in order):
            continue
        pos = order.index(n)
        later = [k for k in range(pos + 1, len(order)) if _reads_var(order[k], n.c, root)]
        if later:
            order.insert(later[-1], order.pop(pos))  # after the last reader (shifted by 1)
    return order


def _reads_var(m: Any, var: int, root: dict[int, int]) -> bool:
    """Whether node m reads `var` or a view of it."""
    return any(root.get(r, r) == var for r in _reads(m))


def donations(graph: DriverGraph) -> dict[int, int]:
    """Output position -> input position of the products that may accumulate into a lent
    input buffer: c is a function input (not a view of one), no node after the product
    and no output copied at the end reads it, a and b are not c (BLAS must not read what
    it writes), and the product's result goes straight to its output array."""
    last = last_uses(graph)
    root: dict[int, int] = {}
    for n in graph.nodes:
        if isinstance(n, (ViewNode, ReshapeNode)):
            root[n.out] = root.get(n.src, n.src)
    first_out = {}
    for k, (o, d) in enumerate(zip(graph.outputs, graph.direct)):
        if d:
            first_out.setdefault(o, k)
    found: dict[int, int] = {}
    for pos, n in enumerate(graph.nodes):
        if not isinstance(n, GemmNode) or n.c is None or n.out not in first_out:
            continue
        c = graph.vars[n.c]
        if c.kind != "input" or last.get(n.c) != pos \
                or n.c in (root.get(n.a, n.a), root.get(n.b, n.b)) \
                or n.c in found.values():
            continue
        found[first_out[n.out]] = c.which
    return found


__all__ = ["DriverGraph", "GemmNode", "KernelNode", "ReshapeNode", "ShapeNode", "ViewNode",
           "describe_function"]
