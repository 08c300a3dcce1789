"""Compile one C unit into a shared library with the configured compiler.

The command is `config.cxx`, `config.cflags` (default `-O3 -march=native
-ffp-contract=off -fno-math-errno`) with its `-march=` set from `config.c_march`
(default `native`), then what the generated code relies on: `-fwrapv`
(integer overflow wraps, as in numpy), `-fno-trapping-math`, `-fopenmp` when
`config.openmp`, `-shared -fPIC`, and `-lmvec -lm` (glibc's vector maths, called from
`omp simd` loops).
`-ffp-contract=off` keeps numpy's rounding: no `a - b*c` fused into an FMA.
`-fno-trapping-math` lets gcc if-convert float comparisons (clamps, `switch`, `maximum`)
inside vector loops: with trapping maths on, a `?:` on doubles fed by a float keeps the
float32 erf loop scalar (10x slower). Nothing reads the floating-point exception flags,
and values and rounding are unchanged.
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile

from tensordsl.config import config
from tensordsl.errors import CompileError

REQUIRED_FLAGS = ("-fwrapv", "-fno-trapping-math")


def find_compiler(cxx: str | None = None) -> str | None:
    """Absolute path of the C compiler (`config.cxx`), or None when there is none."""
    return shutil.which(cxx or config.cxx)


@functools.lru_cache(maxsize=8)
def _has_libmvec(cc: str) -> bool:
    out = subprocess.run([cc, "-print-file-name=libmvec.so"], capture_output=True, text=True)
    return out.returncode == 0 and os.path.isabs(out.stdout.strip())


def flags() -> list[str]:
    """The compile flags (part of the cache key). `config.c_march` sets the target CPU:
    it replaces any `-march=` of `config.cflags` (so the vector maths variant libmvec
    picks can be chosen, e.g. `c_march=x86-64-v3` for AVX2 on an AVX-512 machine)."""
    own = [f for f in config.cflags.split() if not f.startswith("-march=")]
    march = [f"-march={config.c_march}"] if config.c_march else []
    return [*own, *march, *REQUIRED_FLAGS] + (["-fopenmp"] if config.openmp else [])


def command(cc: str, source: str, target: str, own_flags: list[str] | None = None
            ) -> list[str]:
    """The full compiler command building `source` into the shared library `target`.

    `own_flags` replaces the kernel flags and libraries (the trampoline, a CPython
    extension, brings its own: no OpenMP, no libm, the Python and numpy include dirs)."""
    if own_flags is not None:
        return [cc, *own_flags, "-shared", "-fPIC", "-o", target, source]
    cmd = [cc, *flags(), "-shared", "-fPIC", "-o", target, source]
    if _has_libmvec(cc):
        cmd.append("-lmvec")
    return cmd + ["-lm"]


@functools.lru_cache(maxsize=8)
def compiler_identity(cc: str) -> str:
    """What identifies the compiler's version (part of the cache key): the resolved
    driver and compiler proper with their sizes and modification times. Reading these
    costs a few stat calls instead of running `cc --version` in every process."""
    parts = []
    for path in (cc, *_compiler_proper(cc)):
        real = os.path.realpath(path)
        try:
            info = os.stat(real)
        except OSError as err:
            raise CompileError(f"cannot use the C compiler {cc!r}: {err}") from None
        parts.append(f"{real}:{info.st_size}:{info.st_mtime_ns}")
    return ";".join(parts)


def _compiler_proper(cc: str) -> list[str]:
    """gcc's cc1 next to a gcc driver (found without running the compiler), if any."""
    import glob

    prefix = os.path.dirname(os.path.dirname(os.path.realpath(cc)))
    return sorted(glob.glob(os.path.join(prefix, "lib", "gcc", "*", "*", "cc1")) +
                  glob.glob(os.path.join(prefix, "libexec", "gcc", "*", "*", "cc1")))


@functools.lru_cache(maxsize=1)
def target_identity() -> str:
    """What `-march=native` depends on: the CPU model and its feature flags."""
    parts = [platform.machine()]
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith(("model name", "flags", "Features", "CPU part")):
                    parts.append(line.strip())
                if line.strip() == "":  # the first processor is enough
                    break
    except OSError:
        parts.append(platform.processor())
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def build_key(source: str, cc: str, own_flags: list[str] | None = None) -> str:
    """sha256 of source + compiler version + flags + target CPU: the cache key."""
    used = flags() if own_flags is None else ["own:", *own_flags]
    text = "\0".join([source, compiler_identity(cc), " ".join(used), target_identity()])
    return hashlib.sha256(text.encode()).hexdigest()


def compile_library(source: str, target: str, cc: str,
                    own_flags: list[str] | None = None) -> None:
    """Compile `source` into the shared library `target` (written in place)."""
    folder = os.path.dirname(target)
    fd, c_path = tempfile.mkstemp(suffix=".c", prefix="td_src_", dir=folder)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(source)
        cmd = command(cc, c_path, target, own_flags)
        result = subprocess.run(cmd, capture_output=True, text=True)
    finally:
        os.unlink(c_path)
    if result.returncode != 0:
        what = "a generated kernel" if own_flags is None else "a unit"
        raise CompileError(f"internal error: the C compiler rejected {what}\n"
                           f"  command: {' '.join(cmd)}\n{result.stderr[-3000:]}")
