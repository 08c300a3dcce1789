"""Compile one C unit into a shared library with the configured compiler.

The command is `config.cxx`, `config.cflags` (default `-O3 -march=native
-ffp-contract=off -fno-math-errno`), then what the generated code relies on: `-fwrapv`
(integer overflow wraps, as in numpy), `-fopenmp` when `config.openmp`, `-shared -fPIC`,
and `-lmvec -lm` (glibc's vector maths, called from `omp simd` loops).
`-ffp-contract=off` keeps numpy's rounding: no `a - b*c` fused into an FMA.
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

REQUIRED_FLAGS = ("-fwrapv",)


def find_compiler(cxx: str | None = None) -> str | None:
    """Absolute path of the C compiler (`config.cxx`), or None when there is none."""
    return shutil.which(cxx or config.cxx)


@functools.lru_cache(maxsize=8)
def _has_libmvec(cc: str) -> bool:
    out = subprocess.run([cc, "-print-file-name=libmvec.so"], capture_output=True, text=True)
    return out.returncode == 0 and os.path.isabs(out.stdout.strip())


def command(cc: str, source: str, target: str) -> list[str]:
    """The full compiler command building `source` into the shared library `target`."""
    cmd = [cc, *config.cflags.split(), *REQUIRED_FLAGS]
    if config.openmp:
        cmd.append("-fopenmp")
    cmd += ["-shared", "-fPIC", "-o", target, source]
    if _has_libmvec(cc):
        cmd.append("-lmvec")
    return cmd + ["-lm"]


@functools.lru_cache(maxsize=8)
def compiler_identity(cc: str) -> str:
    """The compiler's version text (part of the cache key)."""
    try:
        out = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as err:
        raise CompileError(f"cannot run the C compiler {cc!r}: {err}") from None
    return out.stdout.splitlines()[0] if out.stdout else cc


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


def build_key(source: str, cc: str) -> str:
    """sha256 of source + compiler version + flags + target CPU: the cache key."""
    text = "\0".join([source, compiler_identity(cc), " ".join(command(cc, "S", "T")),
                      target_identity()])
    return hashlib.sha256(text.encode()).hexdigest()


def compile_library(source: str, target: str, cc: str) -> None:
    """Compile `source` into the shared library `target` (written in place)."""
    folder = os.path.dirname(target)
    fd, c_path = tempfile.mkstemp(suffix=".c", prefix="td_src_", dir=folder)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(source)
        cmd = command(cc, c_path, target)
        result = subprocess.run(cmd, capture_output=True, text=True)
    finally:
        os.unlink(c_path)
    if result.returncode != 0:
        raise CompileError(f"internal error: the C compiler rejected a generated kernel\n"
                           f"  command: {' '.join(cmd)}\n{result.stderr[-3000:]}")
