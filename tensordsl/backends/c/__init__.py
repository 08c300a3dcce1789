"""The C backend: kernels rendered to C99, checked with pycparser, built with the system
compiler, cached on disk, called through ctypes.

Pipeline, one module per step: `lower` (graph node -> Kernel), `render` (Kernel -> C
text, using the `lowering` table), `validate` (pycparser), `build` (compiler command),
`cache` (on-disk cache), `runtime` (load and call), `schedule` (the FunctionGraph thunk).
"""

from tensordsl.backends.c.schedule import make_thunk

__all__ = ["make_thunk"]
