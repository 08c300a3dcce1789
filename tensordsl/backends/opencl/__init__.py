"""The OpenCL backend: kernels in OpenCL C (the C-family renderer's second dialect), run
through pyopencl on the device `config.device` names ("opencl" or "opencl:P:D").

Pipeline, one module per step: `device` (listing, selection, context+queue),
`render` (Kernel -> OpenCL C), `gemm` (tiled matrix product), `build` (pycparserext
check, pyopencl build), `runtime` (runners: operands, launch sizes, outputs),
`schedule` (the FunctionGraph thunk). Importing this package does not import pyopencl.
"""

from __future__ import annotations

from typing import Any


def make_thunk(fgraph: Any, device_outputs: bool = False) -> Any:
    """The thunk running `fgraph` on the OpenCL device (see `schedule.make_thunk`)."""
    from tensordsl.backends.opencl.schedule import make_thunk as make

    return make(fgraph, device_outputs)


__all__ = ["make_thunk"]
