"""The backend registry: target names -> backends, and the one place targets resolve.

A backend is one folder under `tensordsl/backends/` whose package defines
`BACKEND = <a Backend subclass instance>`. It says whether it can run here
(`available()`, with the reason when not), which rewrite stages it wants beyond the
mode's, how to turn a rewritten FunctionGraph into a `Schedule` (`make_thunk`), and the
kernel texts it would compile for a graph (`sources`, for `.source()` and
`tensordsl dump`). Backends are imported on first use, so importing tensordsl never
imports pyopencl or builds anything.

`config.device`, the mode's backend and the decorator's `target` all resolve here
(`resolve`), and nowhere else.
"""

from __future__ import annotations

import importlib
import shutil
import warnings
from dataclasses import dataclass
from typing import Any

from tensordsl.config import config
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.graph.schedule import InnerCompiler, Schedule


@dataclass(frozen=True)
class KernelSource:
    """One compiled unit of a graph: the node it computes, its entry point and text."""

    node: str  # str(node.op)
    entry: str  # the entry point's name in `text`
    language: str  # "c", "opencl" or "python"
    text: str
    args: tuple[str, ...] = ()  # the argument layout, one description per argument


class Backend:
    """What a target provides (see the module docstring)."""

    name = "?"
    stages: tuple[str, ...] = ()  # rewrite stages this backend wants besides the mode's

    def available(self) -> tuple[bool, str]:
        """(usable on this machine, why not when it is not)."""
        return True, ""

    def make_thunk(self, fgraph: FunctionGraph, compile_inner: InnerCompiler | None = None
                   ) -> Schedule:
        """A Schedule running the rewritten `fgraph`; inner graphs of control-flow ops
        are compiled with `compile_inner` when given."""
        raise NotImplementedError

    def sources(self, fgraph: FunctionGraph, name: str = "graph") -> list[KernelSource]:
        """The kernel texts this backend compiles for `fgraph` (none by default); `name`
        is the function's name, for comments and listings."""
        return []

    def __repr__(self) -> str:
        return f"<tensordsl backend {self.name!r}>"


# target name -> the module defining BACKEND (imported on first use)
_MODULES = {
    "numpy": "tensordsl.backends.numpy",
    "c": "tensordsl.backends.c",
    "opencl": "tensordsl.backends.opencl",
}
_LOADED: dict[str, Backend] = {}


def backend_names() -> tuple[str, ...]:
    """Every registered target name."""
    return tuple(_MODULES)


def register(name: str, module: str) -> None:
    """Register the backend `name`, defined as `BACKEND` in `module` (imported lazily)."""
    _MODULES[name] = module
    _LOADED.pop(name, None)


def get_backend(name: str) -> Backend:
    """The backend called `name` (ValueError for an unknown name; an ImportError of its
    module becomes a CompileError saying what is missing)."""
    hit = _LOADED.get(name)
    if hit is not None:
        return hit
    if name not in _MODULES:
        raise ValueError(f"unknown backend {name!r}; known: {', '.join(_MODULES)}")
    try:
        module = importlib.import_module(_MODULES[name])
    except ImportError as err:
        from tensordsl.errors import CompileError

        raise CompileError(f"the {name} backend cannot be loaded: {err}") from None
    backend = module.BACKEND
    _LOADED[name] = backend
    return backend


def check_available(name: str) -> Backend:
    """`get_backend(name)`, raising CompileError with the reason when it cannot run here."""
    backend = get_backend(name)
    ok, why = backend.available()
    if not ok:
        from tensordsl.errors import CompileError

        raise CompileError(f"target {name!r} is not available: {why}")
    return backend


def default_compiled() -> str:
    """The compiled CPU target: "c" when a C compiler is found (config.cxx), else "numpy"
    (with one warning per compiler name)."""
    if shutil.which(config.cxx):
        return "c"
    if config.cxx not in _WARNED:
        _WARNED.add(config.cxx)
        warnings.warn(f"no C compiler found (config.cxx={config.cxx!r}): compiled functions "
                      f"use the numpy reference backend", stacklevel=3)
    return "numpy"


_WARNED: set[str] = set()


def resolve(target: str | None = None, device: str | None = None) -> str:
    """The backend name for an explicit `target`, else for `device` (config.device):
    'cpu' -> the C backend (numpy without a compiler), 'opencl' or 'opencl:P:D' ->
    'opencl'."""
    if target is not None:
        if target not in _MODULES:
            raise ValueError(f"unknown target {target!r}; known targets: "
                             f"{', '.join(_MODULES)}")
        return target
    device = config.device if device is None else device
    if device == "opencl" or device.startswith("opencl:"):
        return "opencl"
    return default_compiled()


def device_of(name: str) -> Any:
    """The device string a backend should use: config.device for OpenCL, else 'cpu'."""
    return config.device if name == "opencl" else "cpu"
