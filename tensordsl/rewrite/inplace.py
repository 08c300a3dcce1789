"""In-place: let an elementwise node write its result into a dead input's buffer.

An input may be overwritten when (1) this node is its only client, so nothing reads it
afterwards, (2) it is not a graph input (function inputs and shared values belong to
the caller), not a constant and not a graph output, and (3) its producer allocates a
fresh buffer (an Elemwise, Fused, Reduce, Dot or Gemm result, never a view such as a
DimShuffle or Reshape of something else). The op's `inplace_pattern` says which input
it overwrites; the numpy `perform` writes there only when shape and dtype agree at run
time, so a broadcast input is never written. This pass runs last, after fusion.
"""

from __future__ import annotations

from tensordsl.graph.basic import Apply, Constant, Variable, ancestors
from tensordsl.graph.fgraph import OUTPUT, FunctionGraph
from tensordsl.ops.blas import Dot, Gemm
from tensordsl.ops.elemwise import Elemwise
from tensordsl.ops.fused import FusedElemwise
from tensordsl.ops.reduce import Reduce
from tensordsl.rewrite.engine import apply_replacements

FRESH_BUFFER_OPS = (Elemwise, FusedElemwise, Reduce, Dot, Gemm)


def destroyable(fgraph: FunctionGraph, node: Apply, var: Variable) -> bool:
    """True when `node` may overwrite `var` (see the module docstring)."""
    if isinstance(var, Constant) or var.owner is None or fgraph.is_input(var):
        return False
    if not isinstance(var.owner.op, FRESH_BUFFER_OPS):
        return False
    users = fgraph.clients.get(var, [])
    return bool(users) and all(c is node for c, _ in users) and \
        all(c != OUTPUT for c, _ in users)


def _target(fgraph: FunctionGraph, node: Apply, out: Variable) -> int | None:
    for i, var in enumerate(node.inputs):
        if var.dtype == out.dtype and var.broadcastable == out.broadcastable \
                and destroyable(fgraph, node, var):
            return i
    return None


def _reads_before(fgraph: FunctionGraph, node: Apply, var: Variable) -> bool:
    """True when every other use of `var` runs before `node` (it is an ancestor of it)
    and is no view (whose users could read the buffer later)."""
    before = {id(v) for v in ancestors(node.inputs, blockers=fgraph.inputs)}
    for client, _ in fgraph.clients.get(var, []):
        if client is node:
            continue
        if client == OUTPUT or client.op.view_map or client.op.destroy_map \
                or not any(id(o) in before for o in client.outputs):
            return False
    return True


def _with_pattern(node: Apply, i: int) -> Apply | None:
    op = node.op
    if isinstance(op, Elemwise) and not op.inplace_pattern:
        return Elemwise(op.scalar_op, ((0, i),)).make_node(*node.inputs)
    if isinstance(op, FusedElemwise) and not op.inplace_pattern and not op.kernel.is_reduction \
            and len(node.outputs) == 1:
        return FusedElemwise(op.kernel, ((0, i),)).make_node(*node.inputs)
    return None


def shared_updates_inplace(fgraph: FunctionGraph) -> int:
    """Compute a shared variable's update into its own buffer when every other reader of
    the old value runs before the update's node (`fgraph.update_targets` lists the
    updates; set by `function`)."""
    changed = 0
    for out_index, in_index in getattr(fgraph, "update_targets", {}).items():
        update, shared = fgraph.outputs[out_index], fgraph.inputs[in_index]
        node = update.owner
        if node is None or shared not in node.inputs or \
                [c for c, _ in fgraph.clients.get(update, [])] != [OUTPUT]:
            continue
        i = node.inputs.index(shared)
        if shared.dtype != update.dtype or shared.broadcastable != update.broadcastable \
                or node.inputs.count(shared) > 1 or not _reads_before(fgraph, node, shared):
            continue
        new = _with_pattern(node, i)
        if new is not None:
            apply_replacements(fgraph, list(zip(node.outputs, new.outputs)), "inplace_update")
            changed += 1
    return changed


def inplace_pass(fgraph: FunctionGraph) -> int:
    """Make elementwise nodes write into dead inputs; returns how many were changed."""
    changed = 0
    for node in fgraph.toposort():
        op = node.op
        if isinstance(op, Elemwise) and not op.inplace_pattern:
            i = _target(fgraph, node, node.outputs[0])
            if i is None:
                continue
            new = Elemwise(op.scalar_op, ((0, i),)).make_node(*node.inputs)
        elif isinstance(op, FusedElemwise) and not op.inplace_pattern \
                and not op.kernel.is_reduction:
            i = _target(fgraph, node, node.outputs[0])
            if i is None:
                continue
            new = FusedElemwise(op.kernel, ((0, i),)).make_node(*node.inputs)
        else:
            continue
        apply_replacements(fgraph, list(zip(node.outputs, new.outputs)), "inplace")
        changed += 1
    return changed
