"""The `rowblock` stage: `X @ w -> row-wise kernel -> X.T @ g` becomes one RowBlock node.

It runs after `specialize` and before `fusion` (FAST_RUN), on Elemwise-level graphs. It
fires when

* a second product `Gemm(c, alpha, X.T, g, beta)` / `dot(X.T, g)` / `dot(g, X)` (or the
  Gemm `g @ X`) reads a 2-d float matrix X and a vector g of X's dtype;
* a first product `Gemm(c, alpha, X, w, beta)` / `dot(X, w)` reads the SAME variable X
  and a vector w, giving z, and g depends on z;
* every node between z and g is row-wise: an Elemwise over vectors, a SumToShape
  between two row vectors (or two size-1 vectors), a Reduce-free path. Its other inputs
  ("leaves") are vectors or scalars that do not depend on z.

The region then grows downstream with row-wise Elemwise nodes and `sum` reductions over
the rows of its values (a loss summed for a mean): those become kernel outputs, so no
row vector is stored only to be summed. Values of the region the rest of the graph still
reads become row outputs (N-vectors).

See tensordsl/ops/rowblock.py for the node and its reference semantics.
"""

from __future__ import annotations

from tensordsl import dtypes
from tensordsl.gradient.sum_to import SumToShape
from tensordsl.graph.basic import Apply, Variable, ancestors
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.kernel.ir import Kernel, KernelInput, ScalarNode
from tensordsl.ops import scalar as ps
from tensordsl.ops.blas import Dot, Gemm
from tensordsl.ops.elemwise import DimShuffle, Elemwise
from tensordsl.ops.reduce import Reduce
from tensordsl.ops.rowblock import RowBlock
from tensordsl.rewrite.engine import apply_replacements
from tensordsl.rewrite.fusion import _inline_const

FLOATS = ("float32", "float64")


def _transposed(var: Variable) -> Variable | None:
    """X when var is X.T (DimShuffle (1, 0) of a matrix)."""
    node = var.owner
    if node is not None and isinstance(node.op, DimShuffle) and node.op.new_order == (1, 0):
        return node.inputs[0]
    return None


def second_product(node: Apply) -> tuple[Variable, Variable] | None:
    """(X, g) when `node` computes X.T @ g (+ beta * c) for a matrix X and vector g."""
    op = node.op
    if isinstance(op, Gemm):
        a, b = node.inputs[2], node.inputs[3]
    elif isinstance(op, Dot):
        a, b = node.inputs
    else:
        return None
    if a.ndim == 2 and b.ndim == 1 and _transposed(a) is not None:
        return _transposed(a), b  # type: ignore[return-value]
    if a.ndim == 1 and b.ndim == 2:
        return b, a  # g @ X
    return None


def first_products(fgraph: FunctionGraph, x: Variable) -> list[Apply]:
    """Nodes computing X @ w (+ beta * c) for a vector w."""
    found = []
    for client, _ in fgraph.clients.get(x, []):
        if client == "output":
            continue
        op = client.op
        if isinstance(op, Gemm) and client.inputs[2] is x and client.inputs[3].ndim == 1:
            found.append(client)
        elif isinstance(op, Dot) and client.inputs[0] is x and client.inputs[1].ndim == 1:
            found.append(client)
    return found


def _descendants(fgraph: FunctionGraph, var: Variable) -> set[Variable]:
    seen: set[Variable] = set()
    stack = [var]
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        for client, _ in fgraph.clients.get(v, []):
            if client != "output":
                stack.extend(client.outputs)
    return seen


class _Region:
    """The row-wise nodes between z and g (and downstream), with row/scalar classes."""

    def __init__(self, fgraph: FunctionGraph, z: Variable, below_z: set[Variable]) -> None:
        self.fgraph = fgraph
        self.z = z
        self.below_z = below_z
        self.nodes: list[Apply] = []
        self.pre: list[Apply] = []  # producers of leaves that only the region reads
        self.row: dict[Variable, bool] = {z: True}  # region values: row vector or not
        self.sums: list[Apply] = []

    def leaf_class(self, var: Variable) -> bool | None:
        """True for a row vector leaf, False for a scalar one, None if not a leaf."""
        if var in self.below_z or dtypes.is_complex(var.dtype):
            return None
        if var.ndim == 0 or var.type.shape == (1,):
            return False
        return True if var.ndim == 1 else None

    def value_class(self, var: Variable) -> bool | None:
        if var in self.row:
            return self.row[var]
        return self.leaf_class(var)

    def try_add(self, node: Apply) -> bool:
        """Add a row-wise node whose inputs are region values or leaves."""
        op = node.op
        if isinstance(op, Elemwise) and not op.inplace_pattern and node.outputs[0].ndim == 1:
            classes = [self.value_class(v) for v in node.inputs]
            out = node.outputs[0]
            if None in classes or dtypes.is_complex(out.dtype) \
                    or not any(v in self.row for v in node.inputs):
                return False
            is_row = any(classes)
            if is_row == (out.type.shape == (1,)):
                return False
            self.row[out] = is_row
        elif isinstance(op, SumToShape):
            g, like = node.inputs
            if g not in self.row or g.ndim != 1 or like.ndim != 1 \
                    or self.value_class(like) != self.row[g]:
                return False
            self.row[node.outputs[0]] = self.row[g]
        else:
            return False
        self.nodes.append(node)
        return True

    def absorb_upstream(self, position: dict[Apply, int]) -> None:
        """Pull in the Elemwise (and rank-padding DimShuffle) producers of leaves that
        only the region reads (y -> 1 - y, a bias scalar padded to a vector): one node
        fewer each, and the kernel reads y instead of a stored 1 - y."""
        changed = True
        while changed:
            changed = False
            members = set(self.pre) | set(self.nodes)
            for node in list(members):
                for var in node.inputs:
                    producer = var.owner
                    if producer is None or producer in members or var in self.row:
                        continue
                    cls = self._upstream_class(producer, members)
                    if cls is not None:
                        self.pre.append(producer)
                        self.row[var] = cls
                        changed = True
                        members.add(producer)
        self.pre.sort(key=position.__getitem__)

    def _upstream_class(self, node: Apply, members: set[Apply]) -> bool | None:
        out = node.outputs[0]
        if len(node.outputs) != 1 or any(c == "output" or c not in members
                                         for c, _ in self.fgraph.clients.get(out, [])):
            return None
        op = node.op
        if isinstance(op, DimShuffle):
            inner = node.inputs[0]
            if op.new_order == ("x",) and inner.ndim == 0 \
                    and self.leaf_class(inner) is not None:
                return False
            return None
        if not isinstance(op, Elemwise) or op.inplace_pattern or out.ndim != 1 \
                or dtypes.is_complex(out.dtype):
            return None
        classes = [self.value_class(v) for v in node.inputs]
        if None in classes:
            return None
        is_row = any(classes)
        return None if is_row == (out.type.shape == (1,)) else is_row

    def try_sum(self, node: Apply) -> bool:
        op = node.op
        if not isinstance(op, Reduce) or op.kind != "add" or op.axis != (0,):
            return False
        v = node.inputs[0]
        if not self.row.get(v, False) or node.outputs[0].dtype != v.dtype:
            return False
        self.sums.append(node)
        return True


def _grow(fgraph: FunctionGraph, order: list[Apply], first: Apply, second: Apply,
          g: Variable) -> _Region | None:
    z = first.outputs[0]
    below_z = _descendants(fgraph, z)
    if g not in below_z:
        return None
    above_g = set(ancestors([g]))
    region = _Region(fgraph, z, below_z)
    start = order.index(first)
    for node in order[start + 1:]:
        if node is second:
            continue
        core = node.outputs[0] in above_g and node.outputs[0] in below_z
        if core:
            if not region.try_add(node):
                return None
        elif not region.try_add(node):
            region.try_sum(node)
    if g not in region.row or not region.row[g]:
        return None
    region.absorb_upstream({node: i for i, node in enumerate(order)})
    return region


def _operands_ok(fgraph: FunctionGraph, first: Apply, second: Apply, x: Variable,
                 g: Variable, below_z: set[Variable]) -> bool:
    dtype = x.dtype
    if dtype not in FLOATS or x.ndim != 2:
        return False
    z, out = first.outputs[0], second.outputs[0]
    vars_ = [z, out, g, *first.inputs, *second.inputs]
    if any(v.dtype != dtype for v in vars_):
        return False
    if isinstance(second.op, Gemm) and any(v in below_z for v in
                                           (second.inputs[0], second.inputs[1],
                                            second.inputs[4])):
        return False
    return True


def build(region: _Region, first: Apply
          ) -> tuple[list[ScalarNode], list[KernelInput], list[Variable], dict[Variable, int]]:
    """The kernel body (input 0 = the row dot products), its inputs, its leaf variables
    and the body index of every region value."""
    z = first.outputs[0]
    body: list[ScalarNode] = [ScalarNode(z.dtype, input=0)]
    leaves: list[Variable] = []
    slot: dict[Variable, int] = {}

    def value(var: Variable) -> int:
        if var in slot:
            return slot[var]
        const = _inline_const(var)
        if const is not None:
            body.append(ScalarNode(var.dtype, value=const))
        else:
            body.append(ScalarNode(var.dtype, input=1 + len(leaves)))
            leaves.append(var)
        slot[var] = len(body) - 1
        return slot[var]

    def apply(name: str, *args: int) -> int:
        body.append(ScalarNode(z.dtype, op=ps.get(name), args=args))
        return len(body) - 1

    if isinstance(first.op, Gemm):  # z = alpha * d + beta * c, as Gemm computes it
        c, alpha, _, _, beta = first.inputs
        if c.owner is not None and isinstance(c.owner.op, DimShuffle) \
                and c.owner.op.new_order == ("x",):
            c = c.owner.inputs[0]  # a bias scalar padded to a vector: read the scalar
        scaled = apply("mul", value(alpha), 0)
        slot[z] = apply("add", scaled, apply("mul", value(beta), value(c)))
    else:
        slot[z] = 0
    for node in region.pre + region.nodes:
        if isinstance(node.op, (SumToShape, DimShuffle)):
            # rows have X's length: nothing to sum; a padded scalar is the scalar
            slot[node.outputs[0]] = value(node.inputs[0])
            continue
        args = tuple(value(v) for v in node.inputs)
        body.append(ScalarNode(node.outputs[0].dtype, op=node.op.scalar_op, args=args))
        slot[node.outputs[0]] = len(body) - 1
    inputs = [KernelInput(z.dtype, (False,))]
    inputs += [KernelInput(v.dtype, (not region.leaf_class(v),)) for v in leaves]
    return body, inputs, leaves, slot


def rowblock_pass(fgraph: FunctionGraph) -> int:
    """Replace each `X @ w -> rows -> X.T @ g` pattern by a RowBlock node."""
    count = 0
    changed = True
    while changed:
        changed = False
        order = fgraph.toposort()
        for second in order:
            pair = second_product(second)
            if pair is None:
                continue
            x, g = pair
            if any(_replace(fgraph, order, first, second, x, g)
                   for first in first_products(fgraph, x)):
                count += 1
                changed = True
                break
    return count


def _replace(fgraph: FunctionGraph, order: list[Apply], first: Apply, second: Apply,
             x: Variable, g: Variable) -> bool:
    region = _grow(fgraph, order, first, second, g)
    if region is None or not _operands_ok(fgraph, first, second, x, g, region.below_z):
        return False
    body, inputs, leaves, slot = build(region, first)
    inside = set(region.pre) | set(region.nodes) | set(region.sums) | {second}
    z = first.outputs[0]
    row_outs = [v for v in [z, *(n.outputs[0] for n in region.nodes)]
                if any(c == "output" or c not in inside for c, _ in fgraph.clients.get(v, []))]
    if any(not region.row[v] for v in row_outs):
        return False  # a scalar value escaping would need its own shape
    outs = [slot[g]] + [slot[v] for v in row_outs] + [slot[s.inputs[0]] for s in region.sums]
    out_dtypes = [g.dtype] + [v.dtype for v in row_outs] \
        + [s.outputs[0].dtype for s in region.sums]
    kernel = Kernel(1, tuple(inputs), tuple(body), tuple(outs), tuple(out_dtypes),
                    name="rowblock")
    w = first.inputs[3] if isinstance(first.op, Gemm) else first.inputs[1]
    gemm = isinstance(second.op, Gemm)
    fixed = [x, w] + ([second.inputs[0], second.inputs[1], second.inputs[4]] if gemm else [])
    operands = fixed + leaves
    unique = list(dict.fromkeys(operands))  # alpha and beta are often the same constant
    targets = [second.outputs[0], *row_outs, *(s.outputs[0] for s in region.sums)]
    inner = FunctionGraph(unique, targets, clone=True)
    op = RowBlock(kernel, len(row_outs), len(region.sums), gemm, inner,
                  tuple(operands.index(v) for v in unique))
    new = op.make_node(*fixed, *leaves)
    apply_replacements(fgraph, list(zip(targets, new.outputs)), "rowblock")
    return True
