"""The C backend: kernels rendered to C99, checked with pycparser, built with the system
compiler, cached on disk, called through ctypes.

Pipeline, one module per step: `kernel.lower` (graph node -> Kernel), `render` (Kernel ->
C text, using the `lowering` table), `validate` (pycparser), `build` (compiler command),
`cache` (on-disk cache), `runtime` (load and call), `schedule` (the FunctionGraph's
Schedule and the backend's lowering table).
"""

import os
import shutil
from typing import Any

# OpenMP worker threads spin after each parallel region by default; on a 2-core machine
# they then steal the cores that numpy's BLAS threads need next, and an MLP training step
# ran 7x slower (27.6 ms vs 4.0 ms, docs/benchmarks.md). Waking sleeping threads costs
# tens of microseconds per region (~60 us on the 2-core development VM), which is why a
# kernel only goes parallel when one thread would take far longer (render.PARALLEL_NS).
# libgomp reads this when the first kernel library loads it; users may set it otherwise.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# importing scan_loop, mrg and nnet registers the Scan, MRGUniform, conv and max-pool rules
from tensordsl.backends.c import mrg, nnet, scan_loop, threads  # noqa: E402, F401
from tensordsl.backends.c.schedule import make_thunk, step_source  # noqa: E402
from tensordsl.backends.registry import Backend, KernelSource  # noqa: E402
from tensordsl.config import config  # noqa: E402
from tensordsl.graph.fgraph import FunctionGraph  # noqa: E402
from tensordsl.graph.schedule import InnerCompiler, Schedule  # noqa: E402


class CBackend(Backend):
    """Fused kernels in generated C; matrix products and other nodes through numpy."""

    name = "c"
    stages = ("rowblock", "gemm_update")

    def available(self) -> tuple[bool, str]:
        """A C compiler (config.cxx) must be on PATH."""
        if shutil.which(config.cxx):
            return True, ""
        return False, f"no C compiler found (config.cxx={config.cxx!r})"

    def make_thunk(self, fgraph: FunctionGraph, compile_inner: InnerCompiler | None = None
                   ) -> Schedule:
        """The C schedule of `fgraph` (kernels built or found in the disk cache), choosing
        its thread counts by measurement (`threads.adaptive`: a busy neighbour core)."""
        return threads.adaptive(make_thunk(fgraph, compile_inner))

    def sources(self, fgraph: FunctionGraph, name: str = "graph") -> list[KernelSource]:
        """The C unit of every node this backend compiles for `fgraph`."""
        out = []
        for step in make_thunk(fgraph).steps:
            found = step_source(step)
            if found is not None:
                text, entry, args = found
                out.append(KernelSource(str(step.node.op), entry, "c", text, args))
        return out


BACKEND: Any = CBackend()

__all__ = ["BACKEND", "CBackend", "make_thunk"]
