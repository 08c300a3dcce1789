"""The C backend: kernels rendered to C99, checked with pycparser, built with the system
compiler, cached on disk, called through ctypes.

Pipeline, one module per step: `lower` (graph node -> Kernel), `render` (Kernel -> C
text, using the `lowering` table), `validate` (pycparser), `build` (compiler command),
`cache` (on-disk cache), `runtime` (load and call), `schedule` (the FunctionGraph thunk).
"""

import os

# OpenMP worker threads spin after each parallel region by default; on a 2-core machine
# they then steal the cores that numpy's BLAS threads need next, and an MLP training step
# ran 7x slower (27.6 ms vs 4.0 ms, docs/benchmarks.md). Waking sleeping threads costs
# tens of microseconds per region (~60 us on the 2-core development VM), which is why a
# kernel only goes parallel when one thread would take far longer (render.PARALLEL_NS).
# libgomp reads this when the first kernel library loads it; users may set it otherwise.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from tensordsl.backends.c.schedule import make_thunk  # noqa: E402

__all__ = ["make_thunk"]
