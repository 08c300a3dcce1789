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
import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence

from tensordsl.backends.c import merge
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


def command(cc: str, source: str | Sequence[str], target: str,
            own_flags: list[str] | None = None) -> list[str]:
    """The full compiler command building the C file `source` (or several: one gcc run
    compiling each as its own translation unit, one link) into the shared library `target`.

    `own_flags` replaces the kernel flags and libraries (the trampoline, a CPython
    extension, brings its own: no OpenMP, no libm, the Python and numpy include dirs)."""
    sources = [source] if isinstance(source, str) else list(source)
    if own_flags is not None:
        return [cc, *own_flags, "-shared", "-fPIC", "-o", target, *sources]
    cmd = [cc, *flags(), "-shared", "-fPIC", "-o", target, *sources]
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
    _check_result(result, cmd, "a generated kernel" if own_flags is None else "a unit")


def _check_result(result: subprocess.CompletedProcess, cmd: list[str], what: str) -> None:
    if result.returncode != 0:
        raise CompileError(f"internal error: the C compiler rejected {what}\n"
                           f"  command: {' '.join(cmd)}\n{result.stderr[-3000:]}")


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def check_renames(renames: dict[str, str]) -> None:
    """Raise CompileError unless every name of `renames` (old -> new) is a C identifier:
    they are pasted into `#define` lines."""
    for old, new in renames.items():
        if not (_IDENT.match(old) and _IDENT.match(new)):
            raise CompileError(f"internal error: cannot rename {old!r} to {new!r}: "
                               f"both must be C identifiers")


def renamed_unit(source: str, renames: dict[str, str]) -> str:
    """`source` with each exported name of `renames` (old -> new) renamed by a `#define`
    on top, so that several units exporting the same entry name (every kernel exports
    `td_kernel`) can be linked into one library. The preprocessor replaces whole tokens
    only: `td_kernel_flat` is not touched by a rename of `td_kernel`. The names are
    ours (entry names and hex keys), checked to be identifiers: nothing else is pasted."""
    check_renames(renames)
    defines = "".join(f"#define {old} {new}\n" for old, new in renames.items())
    return defines + source


def compile_bundle(units: Sequence[tuple[str, dict[str, str]]], target: str, cc: str) -> None:
    """Compile several kernel units, each `(source, renames)` (see `renamed_unit`), into
    the one shared library `target` with ONE compiler run. The units are merged into one
    translation unit (`merge.merge`: one cc1 and one assembler run for the bundle, not
    one per unit); a unit the merge cannot read makes gcc compile each as its own file
    instead (their `static` helpers do not clash) and link them once. The C files are
    named by position in a private temporary folder next to `target`, so the same bundle
    always gets the same command."""
    for _, renames in units:
        check_renames(renames)
    merged = merge.merge(units)
    texts = [merged] if merged is not None else \
        [renamed_unit(source, renames) for source, renames in units]
    folder = tempfile.mkdtemp(prefix="td_src_", dir=os.path.dirname(target))
    try:
        paths = []
        for i, text in enumerate(texts):
            path = os.path.join(folder, f"u{i}.c")
            with open(path, "w") as f:
                f.write(text)
            paths.append(path)
        cmd = command(cc, paths, target)
        result = subprocess.run(cmd, capture_output=True, text=True)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    _check_result(result, cmd, f"a bundle of {len(units)} generated kernels")
