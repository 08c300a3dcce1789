"""FusedElemwise: one graph node that runs a whole Kernel (see tensordsl.kernel.ir).

Fusion replaces a subgraph of Elemwise (and a trailing Reduce) nodes by one
FusedElemwise node whose inputs are the subgraph's outside inputs, each already of the
kernel's rank. Its `perform` is the kernel's numpy reference semantics; compiled
backends render `op.kernel` instead.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.graph.basic import Apply, Op
from tensordsl.graph.convert import as_tensor_variable
from tensordsl.graph.type import TensorType
from tensordsl.kernel.evaluate import evaluate_kernel
from tensordsl.kernel.ir import Kernel
from tensordsl.ops.elemwise import broadcast_static_shapes, runtime_broadcast_shape


class FusedElemwise(Op):
    """Run `kernel` over its inputs: elementwise outputs, or outputs reduced over axes."""

    __props__ = ("kernel", "inplace_pattern")

    def __init__(self, kernel: Kernel, inplace_pattern: tuple[tuple[int, int], ...] = ()
                 ) -> None:
        self.kernel = kernel
        # (output, input) pairs: the output is written into that input's buffer
        self.inplace_pattern = tuple(inplace_pattern)
        self.destroy_map = {o: [i] for o, i in self.inplace_pattern}

    def __str__(self) -> str:
        k = self.kernel
        ops = [n.op.name for n in k.body if n.kind == "op"]  # type: ignore[union-attr]
        red = f" reduce{k.reduce_axes}" if k.is_reduction else ""
        inplace = " inplace" if self.inplace_pattern else ""
        return f"Fused{{{','.join(ops)}{red}{inplace}}}"

    def make_node(self, *inputs: Any) -> Apply:
        k = self.kernel
        inputs = [as_tensor_variable(i) for i in inputs]
        if len(inputs) != len(k.inputs):
            raise TypeError(f"{self}: expected {len(k.inputs)} inputs, got {len(inputs)}")
        for i, (var, spec) in enumerate(zip(inputs, k.inputs)):
            if var.dtype != spec.dtype or var.ndim != k.ndim:
                raise TypeError(f"{self}: input {i} must be {k.ndim}-d {spec.dtype}, got "
                                f"{var.type}")
            if var.broadcastable != spec.broadcastable:
                raise TypeError(f"{self}: input {i} broadcast pattern {var.broadcastable} "
                                f"differs from the kernel's {spec.broadcastable}")
        shape = broadcast_static_shapes([v.type.shape for v in inputs], str(self)) \
            if inputs else ()
        if k.is_reduction:
            shape = tuple(s for d, s in enumerate(shape) if d not in k.reduce_axes)
        outputs = [TensorType(dtype, shape)() for dtype in k.output_dtypes]
        return Apply(self, inputs, outputs)

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        runtime_broadcast_shape(node, inputs)  # a clear error before numpy's
        outputs = evaluate_kernel(self.kernel, inputs)
        for out_index, in_index in self.inplace_pattern:
            target, result = inputs[in_index], outputs[out_index]
            if target.shape == result.shape and target.dtype == result.dtype \
                    and target.flags.writeable:
                np.copyto(target, result)
                outputs[out_index] = target
        return outputs
