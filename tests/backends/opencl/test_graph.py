"""Whole functions on the OpenCL backend: fused patterns against the numpy backend,
values kept on the device between steps (transfers counted), device arrays in and out,
host fallbacks logged once per node, training loops against the C backend."""

from __future__ import annotations

import dataclasses
import logging
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tensordsl.accuracy import ulp_bound
from tensordsl.ops import scalar as ps

from ..c.strategies import broadcast_to, operand, shapes
from .helpers import c_mode, device_view, needs_opencl, opencl_mode, rt

pytestmark = needs_opencl


def _fused(x, y, z):
    """exp/tanh/log1p, comparisons, select, max/abs, divisions and two reductions."""
    a = T.exp(x) * y + 1.0
    b = T.switch(T.gt(x, y), T.tanh(z), y - z)
    c = T.maximum(T.log1p(T.sqr(y)), T.abs(z)) / (1.0 + T.sqr(x))
    return [a, b, c, (a * c).sum(axis=1), T.max(b, axis=0)]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@settings(max_examples=12, deadline=None)
@given(data=st.data())
def test_fused_patterns_match_the_numpy_backend(dtype, data):
    x, y, z = (T.TensorType(dtype, (None, None))(n) for n in "xyz")
    outs = _fused(x, y, z)
    f = tensordsl.function([x, y, z], outs, mode=opencl_mode())
    ref = tensordsl.function([x, y, z], outs, mode="FAST_COMPILE")
    shape = data.draw(shapes(2, 6))
    shape = (shape[0], max(shape[1], 1))  # max over axis 0 needs rows; keep >= 1 column
    shape = (max(shape[0], 1), shape[1])
    vals = [data.draw(operand(data.draw(broadcast_to(shape)), dtype)) for _ in range(3)]
    vals = [np.broadcast_to(v, shape) if v.ndim == 2 else v for v in vals]
    if data.draw(st.booleans()):  # device arrays in (the thunk: Function checks numpy)
        got = f.thunk([device_view(v) for v in vals])
    else:
        got = f(*vals)
    want = ref(*vals)
    for g, w in zip(got, want):
        assert isinstance(g, np.ndarray) and g.dtype == w.dtype and g.shape == w.shape
        # one exp/log1p per element, then sums in another order
        tol = np.finfo(dtype).eps * ulp_bound("exp") * 8 * max(1, shape[1])
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol, equal_nan=True)


def test_values_stay_on_the_device_between_steps():
    """A chain of compiled steps (GEMM -> elementwise -> reduction -> elementwise) copies
    each numpy input once, the mean's row count (shape arithmetic, on the host) once,
    and the output back once; device inputs are not copied."""
    from tensordsl.backends.opencl.runtime import TRANSFERS

    x, w = T.dmatrix("x"), T.dmatrix("w")
    h = T.tanh(T.dot(x, w))
    out = (h - h.mean(axis=0)).sum(axis=1)
    f = tensordsl.function([x, w], out, mode=opencl_mode())
    where = f.thunk.notes["where"]
    host = [str(s.node.op) for s, w in zip(f.thunk.steps, where) if w == "host"]
    # shape[0] is a Subtensor step ("view"), run as numpy slicing of the host shape vector
    assert host == [], host
    xv, wv = np.random.default_rng(0).standard_normal((2, 50, 30))
    wv = wv[:30, :20]
    TRANSFERS.clear()
    got = f(xv, wv)
    assert TRANSFERS == {"to_device": 3, "to_host": 1}
    hv = np.tanh(xv @ wv)
    np.testing.assert_allclose(got, (hv - hv.mean(axis=0)).sum(axis=1), rtol=1e-12, atol=1e-12)
    dx, dw = device_view(xv), device_view(wv)
    TRANSFERS.clear()
    (dev_out,) = f.thunk.notes["run_device"]([dx, dw])
    assert TRANSFERS == {"to_device": 1}, "device arrays in and out: only the row count"
    assert type(dev_out).__module__.startswith("pyopencl")
    np.testing.assert_allclose(dev_out.get(), got, rtol=1e-13)


def test_host_fallback_logs_one_line_per_node_with_its_copies(caplog):
    """Advanced indexing is not lowered: it runs on the host, and the log says so with
    the copies (Join, which this test used before, now runs on the device)."""
    x = T.fmatrix("x")
    idx = T.lvector("idx")
    y = T.exp(x)[idx] + 1
    with caplog.at_level(logging.INFO, logger="tensordsl.backends.opencl"):
        f = tensordsl.function([x, idx], y, mode=opencl_mode())
    lines = [r.getMessage() for r in caplog.records if r.name == "tensordsl.backends.opencl"]
    assert len(lines) == 1 and "runs on the host" in lines[0], lines
    assert "1 device->host and 1 host->device copies per call" in lines[0], lines
    xv = np.random.default_rng(2).standard_normal((4, 7)).astype("float32")
    iv = np.array([3, 0, 0, 2])
    want = np.exp(xv)[iv] + 1
    np.testing.assert_allclose(f(xv, iv), want, rtol=ulp_bound("exp") * np.finfo(np.float32).eps)


def test_a_device_array_from_another_context_is_refused():
    import pyopencl as cl
    import pyopencl.array as cla

    other = cl.Context([rt().device])
    x = T.dvector("x")
    f = tensordsl.function([x], T.exp(x), mode=opencl_mode())
    foreign = cla.to_device(cl.CommandQueue(other), np.ones(3))
    with pytest.raises(ValueError, match="another OpenCL context.*copy it with .get"):
        f.thunk([foreign])


def test_float64_needs_cl_khr_fp64():
    """On a device without fp64, a float64 kernel is a CompileError naming the device
    and suggesting floatX=float32; float32 kernels still build."""
    from tensordsl.backends.opencl.runtime import GemmRunner, KernelRunner
    from tensordsl.errors import CompileError

    from ..c.kernels import multi_op_kernel

    real = rt()
    no_fp64 = dataclasses.replace(real, info=dataclasses.replace(real.info, fp64=False))
    kernel = multi_op_kernel(1, ("float64",), [(ps.SCALAR_OPS["exp"], (0,))])
    with pytest.raises(CompileError, match=r"needs float64.*cl_khr_fp64.*floatX='float32'"):
        KernelRunner(kernel, no_fp64, ["'x'"], "Elemwise{exp}")
    with pytest.raises(CompileError, match=re.escape(real.info.name)):
        GemmRunner("float64", False, no_fp64, ["'a'", "'b'"], "Dot")
    GemmRunner("float32", False, no_fp64, ["'a'", "'b'"], "Dot")


def test_bad_operands_are_clear_errors():
    x, y = T.fmatrix("x"), T.fmatrix("y")
    f = tensordsl.function([x, y], x + y, mode=opencl_mode())
    with pytest.raises(ValueError, match=r"do not broadcast|shape"):
        f(np.ones((2, 3), "float32"), np.ones((4, 3), "float32"))


def test_compile_decorator_targets_opencl():
    @tensordsl.compile(target="opencl")
    def f(a, b):
        return np.exp(a) * b + 1.0

    a = np.linspace(-2, 2, 11)
    b = np.linspace(0, 1, 11)
    got = f(a, b)
    assert isinstance(got, np.ndarray)
    np.testing.assert_allclose(got, np.exp(a) * b + 1.0, rtol=1e-15 * ulp_bound("exp"))


def test_logistic_regression_training_matches_the_c_backend():
    """20 gradient steps of logistic regression (shared weights, updates) on OpenCL give
    the C backend's weights within float64 tolerance."""
    rng = np.random.default_rng(11)
    xv = rng.standard_normal((64, 5))
    yv = (rng.random(64) < 0.5).astype("float64")
    results = {}
    for name, mode in [("c", c_mode()), ("opencl", opencl_mode())]:
        w = tensordsl.shared(np.zeros(5), "w")
        b = tensordsl.shared(0.0, "b")
        x, y = T.dmatrix("x"), T.dvector("y")
        p = 1.0 / (1.0 + T.exp(-(T.dot(x, w) + b)))
        cost = -(y * T.log(p) + (1 - y) * T.log(1 - p)).mean() + 0.01 * (w ** 2).sum()
        gw, gb = tensordsl.grad(cost, [w, b])
        train = tensordsl.function([x, y], cost, updates=[(w, w - 0.5 * gw), (b, b - 0.5 * gb)],
                                   mode=mode)
        costs = [float(train(xv, yv)) for _ in range(20)]
        results[name] = (w.get_value(), b.get_value(), costs)
    for got, want in zip(results["opencl"], results["c"]):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    assert results["c"][2][-1] < results["c"][2][0]  # it trained


def test_seed_training_example_on_opencl():
    """The seed's example (float64 weights, float32 features) on OpenCL prints the C
    backend's numbers within float64 tolerance."""
    for mode in (c_mode(), opencl_mode()):
        x = T.fvector("x")
        target = T.fscalar("target")
        W = tensordsl.shared(np.asarray([0.1, 0.25, 0.15, 0.3]), "W")
        y = (x * W).sum()
        cost = T.sqr(target - y)
        (g,) = tensordsl.grad(cost, [W])
        f = tensordsl.function([x, target], y, updates=[(W, W - 0.1 * g)], mode=mode)
        outs = [float(f(np.ones(4, "float32"), np.float32(100.0))) for _ in range(10)]
        if mode.backend == "c":
            want_w, want_outs = W.get_value(), outs
    np.testing.assert_allclose(W.get_value(), want_w, rtol=1e-14)
    np.testing.assert_allclose(outs, want_outs, rtol=1e-14)
    np.testing.assert_allclose(W.get_value(), [24.89999746, 25.04999746, 24.94999746,
                                               25.09999746], rtol=1e-8)


def test_config_device_selects_the_opencl_backend():
    """device=opencl (or opencl:P:D) makes FAST_RUN compile for OpenCL; a device that
    does not exist is an error listing the devices."""
    from tensordsl.backends.opencl.device import select

    x = T.dvector("x")
    spec = select("opencl").spec
    for device in ("opencl", spec):
        with tensordsl.config.change_flags(device=device):
            f = tensordsl.function([x], T.exp(x) + 1)
        assert f.thunk.backend == "opencl"
        np.testing.assert_allclose(f(np.arange(3.0)), np.exp(np.arange(3.0)) + 1, rtol=1e-15)
    with tensordsl.config.change_flags(device="opencl:7:7"):
        with pytest.raises(ValueError, match=rf"'opencl:7:7'.*does not exist.*{spec}"):
            tensordsl.function([x], T.exp(x))


def test_source_of_an_opencl_function():
    @tensordsl.compile(target="opencl")
    def f(a, b):
        return np.exp(a) * b + 1.0

    text = f.source("opencl", np.ones(3), np.ones(3))
    assert "__kernel void td_flat" in text
    assert "exp(" in text or "td_exp_f64(" in text  # the builtin, or explog.py's helper
    assert "td_vec" in text  # the float64 kernel's vector program


def test_seed_example_with_device_opencl_flag():
    """examples/seed_training.py under TENSORDSL_FLAGS=device=opencl prints the seed's
    numbers (within float64 rounding: the sum's order differs)."""
    import os
    import pathlib
    import subprocess
    import sys

    root = pathlib.Path(__file__).resolve().parents[3]
    env = dict(os.environ, TENSORDSL_FLAGS="device=opencl",
               PYTHONPATH=os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, str(root / "examples" / "seed_training.py")],
                          capture_output=True, text=True, env=env, cwd=root, timeout=300)
    assert done.returncode == 0, done.stderr
    from tests.test_seed_training import SEED_TRANSCRIPT

    def numbers(text):
        return [float(t) for t in re.findall(r"-?\d+\.\d*(?:e-?\d+)?", text)]

    got, want = numbers(done.stdout), numbers(SEED_TRANSCRIPT)
    assert len(got) == len(want) == 10 * 5 + 4
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_two_threads_share_a_compiled_function():
    """Kernel objects are shared; launches from two threads must not mix arguments."""
    import threading

    x = T.dvector("x")
    f = tensordsl.function([x], T.exp(x) * 2 + x, mode=opencl_mode())
    errors = []

    def work(seed):
        rng = np.random.default_rng(seed)
        for _ in range(30):
            v = rng.standard_normal(int(rng.integers(1, 3000)))
            got = f(v)
            if not np.allclose(got, np.exp(v) * 2 + v, rtol=1e-14):
                errors.append(seed)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_large_host_inputs_back_device_buffers_on_cpu_devices():
    """On a CPU device sharing host memory, a large contiguous numpy input backs a
    read-only buffer (no copy); the call waits for its kernels before returning, the
    input is not modified, and later changes to it do not touch the returned outputs."""
    import pyopencl as cl

    from tensordsl.backends.opencl import runtime

    big = np.linspace(0.0, 1.0, 1 << 15)
    borrowed = []
    arr = runtime.to_device(rt(), big, "test", "'big'", borrowed)
    if runtime.zero_copy(rt()):
        assert borrowed == [big] and arr.base_data.flags & cl.mem_flags.USE_HOST_PTR
    else:
        assert borrowed == []
    small = runtime.to_device(rt(), big[:10].copy(), "test", "'small'", borrowed)
    assert len(borrowed) <= 1 and not small.base_data.flags & cl.mem_flags.USE_HOST_PTR
    np.testing.assert_array_equal(arr.get(), big)

    x = T.dvector("x")
    f = tensordsl.function([x], [T.exp(x) * 2, x.sum()], mode=opencl_mode())
    v = np.random.default_rng(3).standard_normal(1 << 16)
    keep = v.copy()
    y, s = f(v)
    np.testing.assert_array_equal(v, keep)
    want = np.exp(keep) * 2
    v[:] = 0  # the caller's array changes after the call: outputs are not views of it
    np.testing.assert_allclose(y, want, rtol=1e-15)
    assert abs(s - keep.sum()) <= 1e-12 * np.abs(keep).sum()
    dev = f.thunk.notes["run_device"]([keep])
    np.testing.assert_allclose(dev[0].get(), want, rtol=1e-15)


def test_scan_runs_with_its_inner_graph_compiled_for_opencl():
    """A scan node runs on the host, its step graph compiled by the OpenCL backend."""
    x = T.dvector("x")
    out, upd = tensordsl.scan(lambda v, acc: acc + T.exp(v), sequences=[x],
                              outputs_info=[T.constant(np.float64(0.0))])
    f = tensordsl.function([x], out, updates=upd, mode=opencl_mode())
    v = np.linspace(-1, 1, 9)
    np.testing.assert_allclose(f(v), np.cumsum(np.exp(v)), rtol=1e-14)
    assert "host" in f.thunk.notes["where"]
