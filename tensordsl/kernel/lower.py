"""Graph nodes -> Kernels (the kernel IR every compiled backend renders).

FusedElemwise nodes carry their Kernel. Until fusion runs, a lone Elemwise becomes a
one-op Kernel and a Reduce a load-and-reduce Kernel, so every elementwise or reducing
node runs compiled. Scalar constants among the inputs are folded into the body (one
fewer operand, and the compiler sees the value). Every Kernel returned is pruned
(`prune.prune_kernel`: no dead scalar node, no load of an operand read only for its
shape). Anything else returns None and runs through its numpy `perform`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.basic import Apply, Constant
from tensordsl.kernel.ir import Kernel, KernelInput, ScalarNode
from tensordsl.kernel.prune import prune_kernel
from tensordsl.kernel.reductions import REDUCTIONS
from tensordsl.ops.elemwise import Elemwise
from tensordsl.ops.fused import FusedElemwise
from tensordsl.ops.reduce import Reduce

# A lowered node: its Kernel and, per kernel input, the index of the node input it reads.
Lowered = tuple[Kernel, list[int]]


def lower_node(node: Apply) -> Lowered | None:
    """The Kernel computing `node`, or None when the node is not kernel-shaped."""
    op = node.op
    if isinstance(op, FusedElemwise):
        # fusion prunes what it builds; a kernel made elsewhere is pruned here
        return prune_kernel(op.kernel), list(range(len(node.inputs)))
    if isinstance(op, Elemwise):
        return _elemwise(node)
    if isinstance(op, Reduce) and op.axis and op.kind in REDUCTIONS:
        return _reduce(node)
    return None


def _is_scalar_constant(var: Any) -> bool:
    return isinstance(var, Constant) and np.size(var.data) == 1


def _elemwise(node: Apply) -> Lowered:
    out = node.outputs[0]
    inputs: list[KernelInput] = []
    loaded: list[int] = []
    body: list[ScalarNode] = []
    for position, var in enumerate(node.inputs):
        if _is_scalar_constant(var):
            value = np.asarray(var.data).reshape(()).item()
            body.append(ScalarNode(var.dtype, value=value))
        else:
            body.append(ScalarNode(var.dtype, input=len(inputs)))
            inputs.append(KernelInput(var.dtype, var.type.broadcastable))
            loaded.append(position)
    body.append(ScalarNode(out.dtype, op=node.op.scalar_op, args=tuple(range(len(body)))))
    kernel = Kernel(out.ndim, tuple(inputs), tuple(body), (len(body) - 1,), (out.dtype,),
                    name=f"Elemwise_{node.op.scalar_op.name}")
    return prune_kernel(kernel), loaded


def _reduce(node: Apply) -> Lowered:
    (x,) = node.inputs
    op = node.op
    out_dtype = node.outputs[0].dtype
    acc = (out_dtype,) if REDUCTIONS[op.kind].accumulates else ()
    kernel = Kernel(x.ndim, (KernelInput(x.dtype, x.type.broadcastable),),
                    (ScalarNode(x.dtype, input=0),), (0,), (out_dtype,),
                    reduce_axes=op.axis, reduce_kinds=(op.kind,), acc_dtypes=acc,
                    name=f"Reduce_{op.kind}")
    return kernel, [0]
