"""OpenCL devices: listing, selection from a device string, one context+queue per device.

`device` strings are those of `config.device`: "opencl" picks the first GPU of any
platform, else the first device; "opencl:P:D" picks device D of platform P. pyopencl
is imported here on first use only, so the rest of tensordsl never needs it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from tensordsl.errors import CompileError

INSTALL_HINT = "pip install tensordsl[pocl] (PoCL, OpenCL on the CPU) or tensordsl[opencl]"


@dataclass(frozen=True)
class DeviceInfo:
    """One OpenCL device as `devices()` lists it."""

    platform: int
    device: int
    name: str
    type: str  # "GPU", "CPU", "ACCELERATOR", ...
    fp64: bool  # reports cl_khr_fp64 (float64 kernels allowed)
    platform_name: str = ""

    @property
    def spec(self) -> str:
        """The device string selecting this device ("opencl:P:D")."""
        return f"opencl:{self.platform}:{self.device}"


def import_pyopencl() -> Any:
    """The pyopencl module, or CompileError saying how to install it."""
    try:
        import pyopencl
    except ImportError as err:
        raise CompileError(f"the opencl backend needs pyopencl, which is not importable "
                           f"({err}); install it with: {INSTALL_HINT}") from None
    return pyopencl


def _type_name(cl: Any, device: Any) -> str:
    names = [n for n in ("GPU", "CPU", "ACCELERATOR", "CUSTOM")
             if device.type & getattr(cl.device_type, n, 0)]
    return "/".join(names) or "DEFAULT"


def _platforms(cl: Any) -> list[Any]:
    try:
        return list(cl.get_platforms())
    except cl.Error:  # pyopencl raises when the ICD loader finds no platform at all
        return []


@functools.cache
def _table() -> tuple[tuple[DeviceInfo, Any], ...]:
    cl = import_pyopencl()
    rows = []
    for p, platform in enumerate(_platforms(cl)):
        try:
            found = platform.get_devices()
        except cl.Error:  # a platform with no device of any type
            found = []
        for d, device in enumerate(found):
            info = DeviceInfo(p, d, device.name.strip(), _type_name(cl, device),
                              "cl_khr_fp64" in device.extensions.split(),
                              platform.name.strip())
            rows.append((info, device))
    return tuple(rows)


def devices() -> list[DeviceInfo]:
    """Every OpenCL device pyopencl sees (empty when no platform is installed)."""
    return [info for info, _ in _table()]


def available() -> tuple[bool, str]:
    """(True, "") when an OpenCL device exists here, else (False, why not)."""
    try:
        found = devices()
    except CompileError as err:
        return False, str(err)
    if not found:
        return False, f"pyopencl finds no OpenCL platform/device; {INSTALL_HINT}"
    return True, ""


def _listing() -> str:
    rows = devices()
    if not rows:
        return f"no OpenCL device exists here ({INSTALL_HINT})"
    return "devices: " + "; ".join(f"{r.spec} {r.name} ({r.type})" for r in rows)


def select(spec: str) -> DeviceInfo:
    """The device a string "opencl" or "opencl:P:D" names, or a ValueError listing what
    exists."""
    if not isinstance(spec, str) or not (spec == "opencl" or spec.startswith("opencl:")):
        raise ValueError(f"expected an OpenCL device string 'opencl' or 'opencl:P:D', "
                         f"got {spec!r}")
    parts = spec.split(":")[1:]
    if spec != "opencl" and (len(parts) != 2 or not all(p.isdigit() for p in parts)):
        raise ValueError(f"expected 'opencl:P:D' with integer platform P and device D, "
                         f"got {spec!r}")
    rows = devices()
    if not rows:
        raise CompileError(f"device {spec!r} asked, but {_listing()}")
    if spec == "opencl":
        gpus = [r for r in rows if "GPU" in r.type.split("/")]
        return (gpus or rows)[0]
    p, d = int(parts[0]), int(parts[1])
    for row in rows:
        if (row.platform, row.device) == (p, d):
            return row
    raise ValueError(f"device {spec!r} (platform {p}, device {d}) does not exist; "
                     f"{_listing()}")


@dataclass(frozen=True)
class Runtime:
    """A device with its context and in-order command queue (one per device, cached)."""

    info: DeviceInfo
    device: Any
    context: Any
    queue: Any

    @property
    def fp64(self) -> bool:
        return self.info.fp64


_RUNTIMES: dict[tuple[int, int], Runtime] = {}


def _runtime(platform: int, device: int) -> Runtime:
    found = _RUNTIMES.get((platform, device))
    if found is not None:
        return found
    cl = import_pyopencl()
    for info, dev in _table():
        if (info.platform, info.device) == (platform, device):
            context = cl.Context([dev])
            found = Runtime(info, dev, context, cl.CommandQueue(context))
            return _RUNTIMES.setdefault((platform, device), found)
    raise AssertionError("unreachable: select() checked the device")  # pragma: no cover


def runtime(spec: str = "opencl") -> Runtime:
    """The cached context and queue of the device `spec` names."""
    info = select(spec)
    return _runtime(info.platform, info.device)


def runtime_of(context: Any) -> Runtime:
    """The cached runtime whose context is `context` (ValueError if none is)."""
    for rt in list(_RUNTIMES.values()):
        if rt.context == context:
            return rt
    raise ValueError("this pyopencl context is not one tensordsl created")
