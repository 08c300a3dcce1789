"""Device listing and selection: `tensordsl.opencl.devices()`, "opencl" / "opencl:P:D",
one cached context per device, and the errors for what does not exist."""

from __future__ import annotations

import sys

import pytest

import tensordsl.opencl
from tensordsl.backends.opencl import device
from tensordsl.errors import CompileError

from .helpers import needs_opencl


@needs_opencl
def test_devices_lists_every_device_with_its_indices():
    import pyopencl as cl

    rows = tensordsl.opencl.devices()
    want = [(p, d, dev.name.strip()) for p, plat in enumerate(cl.get_platforms())
            for d, dev in enumerate(plat.get_devices())]
    assert [(r.platform, r.device, r.name) for r in rows] == want
    for r in rows:
        assert r.spec == f"opencl:{r.platform}:{r.device}"
        assert isinstance(r.fp64, bool) and r.type


@needs_opencl
def test_opencl_picks_the_first_gpu_else_the_first_device():
    rows = tensordsl.opencl.devices()
    gpus = [r for r in rows if "GPU" in r.type.split("/")]
    assert tensordsl.opencl.select("opencl") == (gpus or rows)[0]
    first = rows[0]
    assert tensordsl.opencl.select(first.spec) == first


@needs_opencl
def test_one_cached_context_and_queue_per_device():
    a = device.runtime("opencl")
    b = device.runtime(device.select("opencl").spec)
    assert a is b and a.context is b.context and a.queue is b.queue


@needs_opencl
@pytest.mark.parametrize("spec", ["opencl:9:0", "opencl:0:99"])
def test_a_device_that_does_not_exist_names_what_was_asked_and_what_exists(spec):
    with pytest.raises(ValueError) as err:
        device.select(spec)
    text = str(err.value)
    assert repr(spec) in text and "does not exist" in text
    for r in tensordsl.opencl.devices():
        assert r.spec in text and r.name in text


@pytest.mark.parametrize("spec", ["opencl:x:0", "opencl:1", "cuda", "opencl:0:0:0"])
def test_malformed_device_strings(spec):
    with pytest.raises(ValueError, match="opencl:P:D|OpenCL device string"):
        device.select(spec)


def test_pyopencl_missing_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyopencl", None)  # import pyopencl -> ImportError
    device._table.cache_clear()
    try:
        with pytest.raises(CompileError, match=r"needs pyopencl.*pip install tensordsl\[pocl\]"):
            tensordsl.opencl.devices()
        ok, why = tensordsl.opencl.available()
        assert not ok and "pip install tensordsl[pocl]" in why
    finally:
        device._table.cache_clear()


def test_importing_the_backend_package_does_not_import_pyopencl():
    import subprocess

    code = ("import sys, tensordsl, tensordsl.opencl, tensordsl.backends.opencl; "
            "print('pyopencl' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
