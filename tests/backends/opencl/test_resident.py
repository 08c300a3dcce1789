"""Shared variables live on the device when a function runs there: updates happen on
the device, get_value copies back, set_value uploads once; return_device_arrays."""

from __future__ import annotations

import numpy as np
import pytest

import tensordsl
from tensordsl import tensor as T
from tensordsl.runtime.mode import target_mode

from .helpers import needs_opencl

pytestmark = needs_opencl

OPENCL = target_mode("opencl")
C_RUN = target_mode("c")


def _transfers() -> dict:
    from tensordsl.backends.opencl.runtime import TRANSFERS

    return dict(TRANSFERS)


def _per_step(step, args, steps=4) -> dict:
    step(*args)  # warm: the first call uploads the shared values once
    before = _transfers()
    for _ in range(steps):
        step(*args)
    after = _transfers()
    return {k: (after.get(k, 0) - before.get(k, 0)) / steps for k in ("to_device", "to_host")}


def _data(dtype="float64"):
    rng = np.random.default_rng(7)
    X = rng.standard_normal((64, 6)).astype(dtype)
    Y = rng.standard_normal((64, 3)).astype(dtype)
    return X, Y


def _regression(mode, shared: bool, dtype="float64"):
    """One SGD step of least squares; W is a shared variable or an explicit input."""
    x, y = T.matrix("x", dtype=dtype), T.matrix("y", dtype=dtype)
    w0 = np.zeros((6, 3), dtype)
    W = tensordsl.shared(w0, "W") if shared else T.matrix("W", dtype=dtype)
    cost = T.sqr(T.dot(x, W) - y).sum()
    new_w = W - np.asarray(0.001, dtype) * T.grad(cost, W)
    if shared:
        return W, tensordsl.function([x, y], cost, updates=[(W, new_w)], mode=mode)
    return W, tensordsl.function([x, y, W], [cost, new_w], mode=mode)


def test_shared_values_cross_no_bus_between_steps():
    X, Y = _data()
    W, step = _regression(OPENCL, shared=True)
    Wi, explicit = _regression(OPENCL, shared=False)
    w = np.zeros((6, 3))
    resident = _per_step(step, (X, Y))
    moving = _per_step(explicit, (X, Y, w))
    assert W.on_device
    # the explicit version uploads W and downloads its new value every step; with W
    # shared, exactly those two copies are gone (x, y go up, the cost comes back)
    assert resident["to_device"] == moving["to_device"] - 1
    assert resident["to_host"] == moving["to_host"] - 1
    assert resident == {"to_device": 2, "to_host": 1}


def test_training_on_the_device_equals_the_c_backend():
    X, Y = _data()
    W_cl, step_cl = _regression(OPENCL, shared=True)
    W_c, step_c = _regression(C_RUN, shared=True)
    costs = [(step_cl(X, Y), step_c(X, Y)) for _ in range(10)]
    for got, want in costs:
        np.testing.assert_allclose(got, want, rtol=1e-10)
    np.testing.assert_allclose(W_cl.get_value(), W_c.get_value(), rtol=1e-10, atol=1e-12)


def test_get_value_copies_back_and_set_value_replaces_the_device_copy():
    X, Y = _data()
    W, step = _regression(OPENCL, shared=True)
    step(X, Y)
    assert W.on_device
    host = W.get_value()
    assert isinstance(host, np.ndarray) and W.on_device  # the device keeps the value
    host[:] = 123.0  # a copy: the shared value is unchanged
    assert not np.any(W.get_value() == 123.0)
    W.set_value(np.ones((6, 3)))
    assert not W.on_device
    cost = step(X, Y)
    np.testing.assert_allclose(cost, np.square(X @ np.ones((6, 3)) - Y).sum(), rtol=1e-12)
    # a C function reading W takes the device value back to the host once
    read = tensordsl.function([], W * 1, mode=C_RUN)
    np.testing.assert_allclose(read(), np.ones((6, 3)) - 0.002 * X.T @ (X @ np.ones((6, 3)) - Y))
    assert not W.on_device


def test_return_device_arrays():
    import pyopencl.array as cla

    x = T.dvector("x")
    f = tensordsl.function([x], [T.exp(x) * 2, x], mode=OPENCL, return_device_arrays=True)
    a = np.array([0.0, 1.0, -2.0])
    out, same = f(a)
    assert isinstance(out, cla.Array)
    np.testing.assert_allclose(out.get(), np.exp(a) * 2, rtol=1e-14)
    np.testing.assert_array_equal(same, a)
    d = cla.to_device(out.queue, a)
    out2, same2 = f(d)
    assert isinstance(same2, cla.Array) and same2 is not d  # never the caller's buffer


def test_return_device_arrays_needs_a_device_backend():
    x = T.dvector("x")
    with pytest.raises(ValueError, match="the c backend keeps no values on a device"):
        tensordsl.function([x], x * 2, mode=C_RUN, return_device_arrays=True)


def test_the_decorator_returns_device_arrays_when_asked():
    import pyopencl.array as cla

    from tests.frontend.corpus_device import scaled_exp

    a = np.array([0.5, -1.0, 3.0])
    out = scaled_exp(a)
    assert isinstance(out, cla.Array)
    np.testing.assert_allclose(out.get(), np.exp(a) * 2.0, rtol=1e-14)
