"""Helpers of the OpenCL backend tests: the skip rule, device views of numpy operands
(keeping their strides: transposed, sliced, reversed), running a Kernel on the device."""

from __future__ import annotations

import numpy as np
import pytest

from tensordsl.backends.opencl.device import available

OK, WHY = available()
# Every OpenCL test module starts with `pytestmark = needs_opencl`: without a platform
# (pyopencl missing, or no ICD) the tests skip and the reason is printed with -rs.
needs_opencl = pytest.mark.skipif(not OK, reason=f"no OpenCL device: {WHY}")


def rt():
    """The runtime of the default OpenCL device."""
    from tensordsl.backends.opencl.device import runtime

    return runtime("opencl")


def device_view(x: np.ndarray):
    """A pyopencl array with x's shape, strides and values: x's owning base array is
    uploaded whole and viewed at x's offset, so views stay views on the device."""
    import pyopencl.array as cla

    x = np.asarray(x)
    base = x
    while isinstance(base.base, np.ndarray):
        base = base.base
    if x.size == 0 or not base.flags.c_contiguous or base is x:
        return cla.to_device(rt().queue, x.copy(order="C"))
    buf = cla.to_device(rt().queue, base)
    offset = x.ctypes.data - base.ctypes.data
    return cla.Array(rt().queue, x.shape, x.dtype, strides=x.strides, data=buf.base_data,
                     offset=offset)


def run_kernel(kernel, arrays, on_device: bool = True) -> list[np.ndarray]:
    """Run `kernel` on the device (operands as device views, or numpy when not
    `on_device`) and return numpy outputs."""
    from tensordsl.backends.opencl.runtime import KernelRunner

    labels = [f"'in{i}'" for i in range(len(kernel.inputs))]
    ops = [device_view(a) if on_device else a for a in arrays]
    return [o.get() for o in KernelRunner(kernel, rt(), labels, "test kernel").call(ops)]


def check_kernel(kernel, arrays, names=None, on_device: bool = True) -> None:
    """Device outputs == the numpy oracle's, within the accuracy contract per op."""
    from tensordsl.accuracy import INEXACT
    from tensordsl.kernel.evaluate import evaluate_kernel

    from ..c.kernels import assert_matches

    with np.errstate(all="ignore"):
        want = evaluate_kernel(kernel, list(arrays))
    got = run_kernel(kernel, arrays, on_device)
    for j, (g, w) in enumerate(zip(got, want)):
        node = kernel.body[kernel.outputs[j]]
        name = names[j] if names else (node.op.name if node.op else f"out{j}")
        assert_matches(g, w, name in INEXACT, f"output {j} ({name})", name)


def opencl_mode():
    """FAST_RUN's rewrites with the OpenCL backend."""
    from tensordsl.runtime.mode import target_mode

    return target_mode("opencl")


def c_mode():
    """FAST_RUN's rewrites with the C backend (whatever config.device says)."""
    from tensordsl.runtime.mode import target_mode

    return target_mode("c")
