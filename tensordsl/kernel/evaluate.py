"""Reference evaluation of a Kernel with numpy (the semantics every renderer must match)."""

from __future__ import annotations

import numpy as np

from tensordsl.kernel.ir import Kernel
from tensordsl.kernel.reductions import REDUCTIONS


def evaluate_kernel(kernel: Kernel, arrays: list[np.ndarray]) -> list[np.ndarray]:
    """Run `kernel` on input arrays (already of rank kernel.ndim) and return its outputs."""
    values: list[np.ndarray] = []
    for node in kernel.body:
        if node.kind == "load":
            values.append(np.asarray(arrays[node.input], dtype=node.dtype))  # type: ignore
        elif node.kind == "const":
            values.append(np.asarray(node.value, dtype=node.dtype))
        else:
            args = [values[a] for a in node.args]
            values.append(node.op.compute(node.dtype, *args))  # type: ignore[union-attr]
    shape = np.broadcast_shapes(*[a.shape for a in arrays]) if arrays else ()
    outputs = []
    for k, (index, dtype) in enumerate(zip(kernel.outputs, kernel.output_dtypes)):
        full = np.broadcast_to(values[index], shape)
        if kernel.is_reduction:
            reducer = REDUCTIONS[kernel.reduce_kinds[k]].numpy
            acc = kernel.acc_dtypes[k] if kernel.acc_dtypes else dtype
            kwargs = {"dtype": acc} if REDUCTIONS[kernel.reduce_kinds[k]].accumulates else {}
            with np.errstate(all="ignore"):
                full = reducer(full, axis=kernel.reduce_axes, **kwargs)
        outputs.append(np.array(full, dtype=dtype))
    return outputs
