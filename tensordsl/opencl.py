"""OpenCL devices, public part: `tensordsl.opencl.devices()` lists what pyopencl sees.

    >>> import tensordsl.opencl
    >>> [d.spec for d in tensordsl.opencl.devices()]   # doctest: +SKIP
    ['opencl:0:0']

Each entry has platform, device (indices for "opencl:P:D"), name, type and fp64.
"""

from tensordsl.backends.opencl.device import DeviceInfo, available, devices, select

__all__ = ["DeviceInfo", "available", "devices", "select"]
