"""Fusion: maximal elementwise subgraphs (and a following reduction) -> one Kernel node.

A *region* grows from a start node towards its producers, visiting the graph from the
outputs back. A producer joins when it is an Elemwise of the region's rank and
broadcast pattern (so no value is recomputed over a larger space) and none of its
other clients could run before the region (their topological index is after the start
node): the region stays convex, so the fused node has no cycle. Region nodes used
outside become extra kernel outputs. A Reduce (sum/prod/max/min) starts a reducing
region whose elementwise nodes have no other client, so `sum(exp(x) * y, axis=1)` is
one kernel without temporaries. DimShuffles that only add broadcast dims stay outside
as views: the kernel reads them as inputs with broadcastable dims.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.graph.basic import Apply, Variable
from tensordsl.graph.fgraph import OUTPUT, FunctionGraph
from tensordsl.kernel.ir import Kernel, KernelInput, ScalarNode
from tensordsl.kernel.prune import prune_kernel
from tensordsl.kernel.reductions import REDUCTIONS
from tensordsl.ops.elemwise import Elemwise
from tensordsl.ops.fused import FusedElemwise
from tensordsl.ops.reduce import Reduce
from tensordsl.rewrite.engine import apply_replacements
from tensordsl.rewrite.patterns import scalar_constant

KERNEL_REDUCE_KINDS = tuple(k.name for k in REDUCTIONS.values() if k.fusable)
# ops cheap enough to recompute in every consumer kernel rather than store a temporary
CHEAP_OPS = frozenset({"add", "sub", "mul", "neg", "abs", "sqr", "maximum", "minimum",
                       "second", "identity", "switch", "eq", "neq", "lt", "le", "gt", "ge"})


def fusable(node: Any) -> bool:
    """An Elemwise the kernel IR can express (real or integer dtypes, not in place)."""
    if not isinstance(node, Apply) or not isinstance(node.op, Elemwise) \
            or node.op.inplace_pattern:
        return False
    return all(not dtypes.is_complex(v.dtype) for v in node.inputs + node.outputs)


@dataclass
class Region:
    """Nodes to fuse, the start node, and (for a reducing region) the Reduce node."""

    start: Apply
    nodes: set[Apply] = field(default_factory=set)
    reduce: Apply | None = None
    ancestors: set[Apply] = field(default_factory=set)  # of start, index >= ancestors_lo
    ancestors_lo: float = float("inf")
    duplicates: set[Apply] = field(default_factory=set)  # recomputed here, kept outside


def _reduce_root(node: Apply, fgraph: FunctionGraph) -> Apply | None:
    op = node.op
    if not isinstance(op, Reduce) or op.kind not in KERNEL_REDUCE_KINDS or not op.axis:
        return None
    x = node.inputs[0]
    users = fgraph.clients.get(x, [])
    if not fusable(x.owner) or len(users) != 1:
        return None
    return x.owner


class _Grower:
    """Grows regions; `index` is each node's topological position."""

    def __init__(self, fgraph: FunctionGraph) -> None:
        self.fgraph = fgraph
        self.index = {node: i for i, node in enumerate(fgraph.toposort())}
        self.assigned: set[Apply] = set()

    def grow(self, start: Apply, allow_escapes: bool, banned: set[Apply]) -> Region | None:
        region = Region(start)
        root = start
        if isinstance(start.op, Reduce):
            root = _reduce_root(start, self.fgraph)
            if root is None or root in self.assigned:
                return None
            region.reduce = start
            allow_escapes = False
        elif not fusable(start):
            return None
        pattern = root.outputs[0].broadcastable
        region.nodes.add(root)
        stack = [root]
        while stack:
            node = stack.pop()
            for var in node.inputs:
                producer = var.owner
                if producer in region.duplicates:
                    if self._all_users_inside(producer, region):
                        region.duplicates.discard(producer)  # nothing left outside:
                        stack.append(producer)  # it joins, and so may its producers
                    continue
                if producer in region.nodes or producer in banned:
                    continue
                if self._joins(producer, region, pattern, allow_escapes):
                    region.nodes.add(producer)
                    stack.append(producer)
                elif self._duplicable(producer, pattern):
                    region.nodes.add(producer)  # its inputs become loads: no cascade
                    region.duplicates.add(producer)
        return region

    def _duplicable(self, producer: Any, pattern: tuple) -> bool:
        """A cheap one-op producer whose every user is elementwise or a reduction (so all
        of them can recompute it and its temporary disappears) is recomputed in the
        region instead of read from memory."""
        if not fusable(producer) or producer.outputs[0].broadcastable != pattern:
            return False
        sop = producer.op.scalar_op
        if sop.name not in CHEAP_OPS and not sop.name.startswith("cast_"):
            return False
        users = self.fgraph.clients.get(producer.outputs[0], [])
        return all(c != OUTPUT and isinstance(c.op, (Elemwise, Reduce)) for c, _ in users)

    def _all_users_inside(self, node: Apply, region: Region) -> bool:
        """Whether every user of `node` is a (not recomputed) node of the region: a
        duplicate whose last user has joined is no longer needed outside."""
        return all(c != OUTPUT and c in region.nodes and c not in region.duplicates
                   for out in node.outputs for c, _ in self.fgraph.clients.get(out, []))

    def _joins(self, producer: Any, region: Region, pattern: tuple, allow_escapes: bool
               ) -> bool:
        if not fusable(producer) or producer in self.assigned \
                or producer.outputs[0].broadcastable != pattern:
            return False
        limit = self.index[region.start]
        for out in producer.outputs:
            for client, _ in self.fgraph.clients.get(out, []):
                if client in region.nodes and client not in region.duplicates:
                    continue  # (a duplicate's original stays outside and reads this too)
                if not allow_escapes:
                    return False
                if client != OUTPUT and self.index[client] <= limit \
                        and self._is_ancestor(client, region):
                    return False  # client -> ... -> start: fusing would make a cycle
        return True

    def _is_ancestor(self, node: Apply, region: Region) -> bool:
        """Whether `node` is an ancestor of the region's start.

        Every region node is the start or one of its ancestors, so a client outside the
        region closes a cycle exactly when it is itself an ancestor of the start. A path
        from `node` to the start only visits nodes numbered between the two, so the
        backward search stops below `node`'s number (and is reused by later queries)."""
        lo = self.index[node]
        if lo < region.ancestors_lo:
            seen: set[Apply] = set()
            stack = [region.start]
            while stack:
                for var in stack.pop().inputs:
                    owner = var.owner
                    if owner is not None and owner not in seen \
                            and self.index.get(owner, -1) >= lo:
                        seen.add(owner)
                        stack.append(owner)
            region.ancestors, region.ancestors_lo = seen, lo
        return node in region.ancestors

    def renumber(self, fused: Apply) -> None:
        """Number the new node between its producers and its users (renumber all nodes
        when the old numbering leaves no room), keeping the numbering topological: the
        cycle check above relies on it."""
        lo = max((self.index.get(v.owner, -1) for v in fused.inputs if v.owner is not None),
                 default=-1)
        users = [c for out in fused.outputs for c, _ in self.fgraph.clients.get(out, [])
                 if c != OUTPUT]
        hi = min((self.index[c] for c in users), default=lo + 2)
        if lo < hi:
            self.index[fused] = (lo + hi) / 2
        else:
            self.index = {node: i for i, node in enumerate(self.fgraph.toposort())}

def _ordered(region: Region, index: dict[Apply, int]) -> list[Apply]:
    return sorted(region.nodes, key=index.__getitem__)


def _escaping(region: Region, fgraph: FunctionGraph, order: list[Apply]) -> list[Variable]:
    """Outputs of region nodes used outside the region (kernel outputs)."""
    outs = []
    for node in order:
        if node in region.duplicates:
            continue
        for var in node.outputs:
            if any(c == OUTPUT or c not in region.nodes for c, _ in fgraph.clients.get(var, [])):
                outs.append(var)
    return outs


def _leaves(order: list[Apply], region: Region) -> list[Variable]:
    seen: set[int] = set()
    leaves = []
    for node in order:
        for var in node.inputs:
            if (var.owner is None or var.owner not in region.nodes) and id(var) not in seen:
                seen.add(id(var))
                leaves.append(var)
    return leaves


def _inline_const(var: Variable) -> Any:
    """A size-1 constant's value (seen through DimShuffles), inlined into the kernel body."""
    value = scalar_constant(var)
    return None if value is None else np.asarray(value, dtype=var.dtype).item()


def _broadcast_unsafe(outs: list[Variable], order: list[Apply], region: Region,
                      loads: list[Variable]) -> set[Apply]:
    """An extra output must have the kernel's run-time shape: if it does not depend on an
    input that may be larger along a dim it does not know statically, numpy would give
    it a smaller shape than the kernel's iteration space. Returns the offending nodes."""
    deps: dict[Apply, set[int]] = {}
    load_ids = {id(v) for v in loads}
    for node in order:
        mine: set[int] = set()
        for var in node.inputs:
            if var.owner in region.nodes:
                mine |= deps[var.owner]
            elif id(var) in load_ids:
                mine.add(id(var))
        deps[node] = mine
    unsafe = set()
    for var in outs:
        missing = [v for v in loads if id(v) not in deps[var.owner]]
        for d, size in enumerate(var.type.shape):
            if size is None and any(v.type.shape[d] != 1 for v in missing):
                unsafe.add(var.owner)
    return unsafe


def build_kernel(order: list[Apply], outputs: list[Variable], reduce: Apply | None
                 ) -> tuple[Kernel, list[Variable]] | None:
    """The Kernel computing `outputs` of the region nodes `order`, and its input variables."""
    body: list[ScalarNode] = []
    slot: dict[int, int] = {}
    loads: list[Variable] = []
    ndim = order[0].outputs[0].ndim
    for node in order:
        for var in node.inputs:
            if id(var) in slot:  # region values are slotted before their users
                continue
            value = _inline_const(var)
            if value is not None:
                body.append(ScalarNode(var.dtype, value=value))
            else:
                body.append(ScalarNode(var.dtype, input=len(loads)))
                loads.append(var)
            slot[id(var)] = len(body) - 1
        args = tuple(slot[id(v)] for v in node.inputs)
        body.append(ScalarNode(node.outputs[0].dtype, op=node.op.scalar_op, args=args))
        slot[id(node.outputs[0])] = len(body) - 1
    if not loads:
        return None
    inputs = tuple(KernelInput(v.dtype, v.broadcastable) for v in loads)
    indices = tuple(slot[id(v)] for v in outputs)
    if reduce is None:
        kernel = Kernel(ndim, inputs, tuple(body), indices, tuple(v.dtype for v in outputs),
                        name="fused")
    else:
        dtype = reduce.outputs[0].dtype
        kernel = Kernel(ndim, inputs, tuple(body), indices, (dtype,),
                        reduce_axes=reduce.op.axis, reduce_kinds=(reduce.op.kind,),
                        acc_dtypes=(dtype,), name="fused")
    return prune_kernel(kernel), loads


def fuse(fgraph: FunctionGraph) -> int:
    """Replace every fusable region by one FusedElemwise node; returns the kernel count."""
    grower = _Grower(fgraph)
    count = 0
    for start in reversed(list(grower.index)):
        if start not in fgraph.apply_nodes or start in grower.assigned:
            continue
        made = _fuse_from(fgraph, grower, start)
        count += made
    return count


MAX_REGROWS = 4


def _fuse_from(fgraph: FunctionGraph, grower: _Grower, start: Apply) -> int:
    """Fuse the region grown from `start`; extra outputs whose run-time shape could differ
    from the kernel's are left out of the region (regrown without them)."""
    banned: set[Apply] = set()
    for attempt in range(MAX_REGROWS + 1):
        region = grower.grow(start, allow_escapes=attempt < MAX_REGROWS, banned=banned)
        if region is None:
            return 0
        if region.reduce is None and len(region.nodes) < 2:
            return 0
        order = _ordered(region, grower.index)
        outs = [region.reduce.inputs[0]] if region.reduce else _escaping(region, fgraph, order)
        built = build_kernel(order, outs, region.reduce)
        if built is None:
            return 0
        kernel, loads = built
        unsafe = _broadcast_unsafe(outs, order, region, loads) if region.reduce is None \
            else set()
        if unsafe:
            banned |= unsafe - {start}
            continue
        fused = FusedElemwise(kernel).make_node(*loads)
        grower.assigned |= region.nodes - region.duplicates
        olds = [region.reduce.outputs[0]] if region.reduce else outs
        apply_replacements(fgraph, list(zip(olds, fused.outputs)), "fusion")
        grower.renumber(fused)
        return 1
    return 0
