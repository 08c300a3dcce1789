"""The OpenCL backend: kernels in OpenCL C (the C-family renderer's second dialect), run
through pyopencl on the device `config.device` names ("opencl" or "opencl:P:D").

Pipeline, one module per step: `device` (listing, selection, context+queue),
`render` (Kernel -> OpenCL C), `gemm` (tiled matrix product), `build` (pycparserext
check, pyopencl build), `runtime` (runners: operands, launch sizes, outputs),
`schedule` (the FunctionGraph's Schedule). Importing this package does not import
pyopencl: that happens when a function is compiled for OpenCL.
"""

from __future__ import annotations

from typing import Any

from tensordsl.backends.registry import Backend, KernelSource
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.graph.schedule import InnerCompiler, Schedule


class OpenCLBackend(Backend):
    """Fused elementwise kernels, reductions and matrix products in OpenCL C; other
    nodes through numpy on the host (one log line per node)."""

    name = "opencl"

    def available(self) -> tuple[bool, str]:
        """pyopencl importable and at least one OpenCL device present."""
        from tensordsl.backends.opencl.device import available

        return available()

    def make_thunk(self, fgraph: FunctionGraph, compile_inner: InnerCompiler | None = None,
                   device_outputs: bool = False) -> Schedule:
        """The OpenCL schedule of `fgraph` on config.device's OpenCL device; outputs are
        numpy arrays, or device arrays with `device_outputs`."""
        from tensordsl.backends.opencl.schedule import make_thunk

        return make_thunk(fgraph, compile_inner, device_outputs)

    def sources(self, fgraph: FunctionGraph, name: str = "graph") -> list[KernelSource]:
        """The OpenCL program of every node this backend compiles for `fgraph` (a float
        kernel's vector program follows its scalar one)."""
        from tensordsl.backends.opencl.schedule import make_thunk, step_sources

        out = []
        for step in make_thunk(fgraph).steps:
            for text, entry, args in step_sources(step):
                out.append(KernelSource(str(step.node.op), entry, "opencl", text, args))
        return out


BACKEND: Any = OpenCLBackend()


def make_thunk(fgraph: FunctionGraph, compile_inner: InnerCompiler | None = None,
               device_outputs: bool = False) -> Schedule:
    """`BACKEND.make_thunk` (module-level, like the other backends)."""
    return BACKEND.make_thunk(fgraph, compile_inner, device_outputs)


__all__ = ["BACKEND", "OpenCLBackend", "make_thunk"]
