"""Per-device choices of the OpenCL kernels, decided here and nowhere else.

PoCL on a CPU compiles OpenCL C with LLVM for the host's vector unit and calls its math
builtins (`exp`, `log`, `sqrt`, `fabs`, ... SLEEF's vector functions) out of line, so
every call spills the kernel's live vector registers. There the backend emits its own
inline, branch-free exp and log (explog.py) and square roots through clang's
`__builtin_sqrt` (lowered to LLVM's sqrt intrinsic: one `vsqrtpd`, correctly rounded as
OpenCL's double `sqrt` is), and runs 16 elements per work-item in the vector path (two
AVX-512 registers of doubles: more independent work between the long dependency chains
of the polynomials). Measured on the 2-core development host (docs/opencl.md,
`tools/profile_opencl_bs.py --kernel-only`): the float64 Black-Scholes vector kernel
15.0 -> 12.4 ns per element of CPU time, float32 3.7 -> 3.2 (there the lanes matter).

Every other device (GPUs above all) keeps the builtins, which are the vendors' tuned
code there, and the 8-wide vector path.
"""

from __future__ import annotations

from dataclasses import dataclass

from tensordsl.backends.opencl.device import DeviceInfo


@dataclass(frozen=True)
class KernelTuning:
    """How kernels are rendered for one device."""

    # exp/log as explog.py's helpers, sqrt as __builtin_sqrt, helpers always_inline
    inline_math: bool
    vector_width: int  # elements per work-item of the contiguous vector path


BUILTIN = KernelTuning(inline_math=False, vector_width=8)
POCL_CPU = KernelTuning(inline_math=True, vector_width=16)

POCL_PLATFORM = "Portable Computing Language"


def kernel_tuning(info: DeviceInfo) -> KernelTuning:
    """POCL_CPU for a CPU device of the PoCL platform, BUILTIN for any other device."""
    if "CPU" in info.type.split("/") and info.platform_name.startswith(POCL_PLATFORM):
        return POCL_CPU
    return BUILTIN
