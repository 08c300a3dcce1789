"""What is installed and what machine this is: optional imports, versions, BLAS info."""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import platform
from functools import cache
from types import ModuleType
from typing import Any


class NotInstalled(Exception):
    """A peer library is not importable; its cells read 'not installed'."""


@cache
def optional(module: str) -> ModuleType | None:
    """The imported module, or None when it is missing or fails to import."""
    try:
        return importlib.import_module(module)
    except Exception:  # a broken install counts as not installed, never as a crash
        return None


def require(module: str) -> ModuleType:
    """The imported module, or NotInstalled (shown as 'not installed' in the report)."""
    mod = optional(module)
    if mod is None:
        raise NotInstalled(module)
    return mod


def jax_modules() -> tuple[Any, Any]:
    """(jax, jax.numpy) with float64 enabled, or NotInstalled."""
    jax = require("jax")
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    return jax, require("jax.numpy")


def version(dist: str) -> str:
    """The installed distribution's version, or 'not installed'."""
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


VERSIONED = ("numpy", "scipy", "numexpr", "numba", "llvmlite", "pytensor", "jax", "jaxlib",
             "threadpoolctl", "torch")


def versions() -> dict[str, str]:
    """Versions of Python and of every library the suite may use."""
    found = {"python": platform.python_version()}
    found.update({name: version(name) for name in VERSIONED})
    return found


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (or platform.processor())."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine_line() -> str:
    """One line: CPU model, core count, OS."""
    return (f"{cpu_model()}, {os.cpu_count()} cores (os.cpu_count()), "
            f"{platform.system()} {platform.release()}, {platform.machine()}")


def blas_info() -> str:
    """Which BLAS library, kernel (architecture) and thread count numpy uses (threadpoolctl)."""
    tpc = optional("threadpoolctl")
    if tpc is None:
        return "threadpoolctl not installed: BLAS kernel/threads unknown"
    import numpy  # noqa: F401 - loads numpy's BLAS so threadpoolctl can see it

    pools = [p for p in tpc.threadpool_info() if p.get("user_api") == "blas"]
    # scipy may load its own OpenBLAS too; report numpy's when it can be told apart
    pools = [p for p in pools if "numpy" in str(p.get("filepath", ""))] or pools
    parts = []
    for pool in pools:
        parts.append(f"{pool.get('internal_api')} {pool.get('version')}, kernel "
                     f"**{pool.get('architecture', '?')}**, **{pool.get('num_threads')} "
                     f"threads** ({pool.get('threading_layer', '?')})")
    return "; ".join(parts) or "no BLAS found by threadpoolctl"


BLAS_ENV = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_WAIT_POLICY",
            "OMP_NUM_THREADS",
            "NUMBA_NUM_THREADS", "NUMBA_THREADING_LAYER")


def blas_env() -> str:
    """The environment variables that change BLAS / threading behaviour, as set now."""
    return ", ".join(f"{k}={os.environ.get(k, 'unset')}" for k in BLAS_ENV)


def threading_notes() -> str:
    """How many threads numexpr and numba use (both default to all cores)."""
    notes = []
    ne = optional("numexpr")
    if ne is not None:
        notes.append(f"numexpr {ne.get_num_threads()} threads")
    nb = optional("numba")
    if nb is not None:
        notes.append(f"numba {nb.get_num_threads()} threads, layer "
                     f"{nb.config.THREADING_LAYER}")
    return "; ".join(notes) or "numexpr/numba not installed"
