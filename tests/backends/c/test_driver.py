"""The C backend's function driver (backends/c/driver.py): a whole function graph in one
foreign call. Results equal numpy within dtype tolerances (BLAS sums in its own order;
exp and log are transcendental: never bit equality), a call makes exactly one foreign
call, outputs a caller holds are never written by a later call, and graphs or layouts the
driver does not take run the per-node schedule."""

from __future__ import annotations

import functools
import logging

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tensordsl.backends.c import runtime
from tensordsl.backends.c.driver import DriverRunner
from tensordsl.config import config
from tensordsl.ops.blas import Dot
from tensordsl.testing.strategies import arrays

TOL = {"float32": dict(rtol=2e-4, atol=2e-5), "float64": dict(rtol=1e-10, atol=1e-12)}
LR = 0.05


def driver_of(fn: tensordsl.Function) -> DriverRunner | None:
    """The function's driver, or None when it runs the per-node schedule."""
    return fn.thunk.notes.get("driver")


def close(got: object, want: object, dtype: str) -> None:
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, want.shape,
                                                                  got.dtype, want.dtype)
    np.testing.assert_allclose(got, want, **TOL[dtype])


# -- the MLP training step of issue 15 (tools/benchsuite/wl_mlp.py), small sizes --------

SIZES = (13, 11, 9, 4)


def mlp_params(dtype: str, sizes: tuple[int, ...] = SIZES) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    params = {}
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), 1):
        params[f"W{k}"] = (rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(dtype)
        params[f"b{k}"] = (0.1 * rng.standard_normal(n_out)).astype(dtype)
    return params


def mlp_numpy(X, Y, W1, b1, W2, b2, W3, b3):  # noqa: N803
    """(loss, updated parameters) in numpy, the backward pass derived by hand."""
    a1 = X @ W1 + b1
    h1 = np.maximum(a1, 0)
    a2 = h1 @ W2 + b2
    h2 = np.maximum(a2, 0)
    z = h2 @ W3 + b3
    zmax = z.max(axis=1, keepdims=True)
    e = np.exp(z - zmax)
    s = e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.sum(Y * (z - zmax - np.log(s)), axis=1))
    dz = (e / s - Y) / X.shape[0]
    dh2 = (dz @ W3.T) * (a2 > 0)
    dh1 = (dh2 @ W2.T) * (a1 > 0)
    return loss, [W1 - LR * (X.T @ dh1), b1 - LR * dh1.sum(0), W2 - LR * (h1.T @ dh2),
                  b2 - LR * dh2.sum(0), W3 - LR * (h2.T @ dz), b3 - LR * dz.sum(0)]


def mlp_function(dtype: str) -> tuple[tensordsl.Function, list]:
    """The compiled SGD step (loss out, parameters updated) and its shared variables."""
    X, Y = T.matrix("X", dtype), T.matrix("Y", dtype)  # noqa: N806
    shared = [tensordsl.shared(v, name=k) for k, v in mlp_params(dtype).items()]
    W1, b1, W2, b2, W3, b3 = shared  # noqa: N806
    h1 = T.maximum(T.dot(X, W1) + b1, 0)
    h2 = T.maximum(T.dot(h1, W2) + b2, 0)
    z = T.dot(h2, W3) + b3
    zmax = T.max(z, axis=1, keepdims=True)
    lse = T.log(T.sum(T.exp(z - zmax), axis=1, keepdims=True))
    loss = -T.mean(T.sum(Y * (z - zmax - lse), axis=1))
    grads = T.grad(loss, shared)
    fn = tensordsl.function([X, Y], loss, mode="FAST_RUN",
                            updates=[(p, p - np.asarray(LR, dtype) * g)
                                     for p, g in zip(shared, grads)])
    return fn, shared


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mlp_step_equals_numpy_over_several_steps(dtype):
    fn, shared = mlp_function(dtype)
    runner = driver_of(fn)
    assert runner is not None
    params = [s.get_value() for s in shared]
    rng = np.random.default_rng(5)
    for batch in (7, 7, 1, 7):  # a second shape signature, then back to the first
        X = rng.standard_normal((batch, SIZES[0])).astype(dtype)  # noqa: N806
        Y = np.eye(SIZES[-1], dtype=dtype)[rng.integers(0, SIZES[-1], batch)]  # noqa: N806
        want_loss, params = mlp_numpy(X, Y, *params)
        close(fn(X, Y), np.asarray(want_loss, dtype), dtype)
        for s, want in zip(shared, params):
            close(s.get_value(), want, dtype)
        params = [s.get_value() for s in shared]  # carry on from the compiled values
    assert (runner.foreign_calls, runner.schedule_calls) == (4, 0)
    assert len(runner.plans) == 2


def test_mlp_step_makes_one_foreign_call_per_call(monkeypatch):
    fn, _ = mlp_function("float64")
    runner = driver_of(fn)
    calls = []
    real = runner.fn
    monkeypatch.setattr(runner, "fn", lambda *a: (calls.append(1), real(*a))[1])

    def forbidden(*args, **kwargs):
        raise AssertionError("a per-node step ran")

    # no kernel call nor numpy product happens outside the driver's one call
    monkeypatch.setattr(runtime.KernelRunner, "run", forbidden)
    monkeypatch.setattr(Dot, "perform", forbidden)
    X = np.ones((3, SIZES[0]))  # noqa: N806
    Y = np.eye(SIZES[-1])[[0, 1, 3]]  # noqa: N806
    for n in range(1, 4):
        fn(X, Y)
        assert len(calls) == n
    assert len(fn.thunk.steps) > 30  # what the schedule would have run: dozens of steps


def softmax_regression(dtype: str) -> tuple[tensordsl.Function, list]:
    """A multinomial logistic regression trained by SGD: (cost, probabilities) out."""
    x, y = T.matrix("x", dtype), T.matrix("y", dtype)
    rng = np.random.default_rng(1)
    W = tensordsl.shared(rng.standard_normal((6, 3)).astype(dtype), name="W")  # noqa: N806
    b = tensordsl.shared(np.zeros(3, dtype), name="b")
    z = T.dot(x, W) + b
    e = T.exp(z - T.max(z, axis=1, keepdims=True))
    p = e / T.sum(e, axis=1, keepdims=True)
    cost = -T.mean(T.sum(y * T.log(p), axis=1)) + np.asarray(0.01, dtype) * T.sum(W ** 2)
    gW, gb = T.grad(cost, [W, b])  # noqa: N806
    lr = np.asarray(0.5, dtype)
    fn = tensordsl.function([x, y], [cost, p], mode="FAST_RUN",
                            updates=[(W, W - lr * gW), (b, b - lr * gb)])
    return fn, [W, b]


def softmax_regression_numpy(x, y, W, b):  # noqa: N803
    z = x @ W + b
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    cost = -np.mean(np.sum(y * np.log(p), axis=1)) + 0.01 * np.sum(W ** 2)
    dz = (p - y) / x.shape[0]
    return cost, p, W - 0.5 * (x.T @ dz + 0.02 * W), b - 0.5 * dz.sum(0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_logistic_regression_training_loop(dtype):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((40, 6)).astype(dtype)
    y = np.eye(3, dtype=dtype)[(x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5)]
    with config.change_flags(c_driver=True):
        fn, (W, b) = softmax_regression(dtype)  # noqa: N806
    runner = driver_of(fn)
    assert runner is not None
    Wn, bn = W.get_value(), b.get_value()  # noqa: N806
    costs = []
    for _ in range(30):
        cost, p = fn(x, y)
        want, p_want, Wn, bn = softmax_regression_numpy(x, y, Wn, bn)  # noqa: N806
        close(cost, np.asarray(want, dtype), dtype)
        close(p, p_want, dtype)
        close(W.get_value(), Wn, dtype)
        close(b.get_value(), bn, dtype)
        Wn, bn = W.get_value(), b.get_value()  # noqa: N806
        costs.append(float(cost))
    assert costs[-1] < costs[0]  # it learns
    assert (runner.foreign_calls, runner.schedule_calls) == (30, 0)


# -- outputs are the caller's ------------------------------------------------------------

@pytest.mark.parametrize("n", [3, 600])  # 600 x 600 float64: over the recycling size
def test_outputs_a_caller_holds_are_never_overwritten(n):
    a, w = T.matrix("a"), T.matrix("w")
    fn = tensordsl.function([a, w], [T.tanh(T.dot(a, w)) + 1, T.dot(a, w).T],
                            mode="FAST_RUN")
    assert driver_of(fn) is not None
    rng = np.random.default_rng(0)
    x1, x2, wv = (rng.standard_normal((n, n)) for _ in range(3))
    first = fn(x1, wv)
    kept = [o.copy() for o in first]
    second = fn(x2, wv)
    for held, copy in zip(first, kept):
        np.testing.assert_array_equal(held, copy)
    for o, want in zip(second, [np.tanh(x2 @ wv) + 1, (x2 @ wv).T]):
        np.testing.assert_allclose(o, want, **TOL["float64"])
    assert all(not np.shares_memory(s, f) for s in second for f in first)
    assert driver_of(fn).foreign_calls == 2


def test_output_that_is_an_input_or_a_view_is_a_new_array():
    x = T.matrix("x")
    fn = tensordsl.function([x], [x, x.T, T.exp(x)], mode="FAST_RUN")
    assert driver_of(fn) is not None
    value = np.arange(6.0).reshape(2, 3)
    same, transposed, ex = fn(value)
    assert not np.shares_memory(same, value) and not np.shares_memory(transposed, value)
    np.testing.assert_array_equal(same, value)
    np.testing.assert_array_equal(transposed, value.T)
    close(ex, np.exp(value), "float64")


# -- property tests over shapes, layouts and dtypes ------------------------------------

def values(dtype: str) -> st.SearchStrategy:
    width = 32 if dtype == "float32" else 64
    return st.floats(-3, 3, width=width)


@functools.cache
def dense_layer(dtype: str, transposed: bool) -> tensordsl.Function:
    """relu(x @ w + b) and its row softmax; x given transposed when `transposed`."""
    x, w, b = T.matrix("x", dtype), T.matrix("w", dtype), T.vector("b", dtype)
    h = T.maximum(T.dot(x.T if transposed else x, w) + b, 0)
    e = T.exp(h - T.max(h, axis=1, keepdims=True))
    return tensordsl.function([x, w, b], [h, e / T.sum(e, axis=1, keepdims=True)],
                              mode="FAST_RUN")


@settings(max_examples=40, deadline=None)
@given(st.data(), st.sampled_from(["float32", "float64"]), st.booleans(),
       st.integers(0, 5), st.integers(0, 5), st.integers(1, 5))
def test_dense_layer_property(data, dtype, transposed, m, k, n):
    fn = dense_layer(dtype, transposed)
    x = data.draw(arrays(dtype, (k, m) if transposed else (m, k), elements=values(dtype)))
    w = data.draw(arrays(dtype, (k, n), elements=values(dtype)))
    b = data.draw(arrays(dtype, (n,), elements=values(dtype)))
    xm = x.T if transposed else x
    h = np.maximum(xm.astype("float64") @ w + b, 0).astype(dtype)
    e = np.exp(h - h.max(axis=1, keepdims=True))
    got = fn(x, w, b)
    close(got[0], h, dtype)
    close(got[1], (e / e.sum(axis=1, keepdims=True)).astype(dtype), dtype)
    runner = driver_of(fn)
    assert runner is not None and runner.schedule_calls == 0


@functools.cache
def products(dtype: str) -> tensordsl.Function:
    """Transposed operands folded into BLAS, a shape-dependent scale (Shape, Subtensor),
    column sums (the gradient of a bias)."""
    a, c = T.matrix("a", dtype), T.matrix("c", dtype)
    g = T.dot(a.T, c) / T.cast(a.shape[0], dtype)
    return tensordsl.function([a, c], [g, T.dot(c, g.T), c.sum(axis=0)], mode="FAST_RUN")


@settings(max_examples=40, deadline=None)
@given(st.data(), st.sampled_from(["float32", "float64"]), st.integers(1, 5),
       st.integers(0, 5), st.integers(0, 5))
def test_transposed_products_property(data, dtype, m, k, n):
    fn = products(dtype)
    a = data.draw(arrays(dtype, (m, k), elements=values(dtype)))
    c = data.draw(arrays(dtype, (m, n), elements=values(dtype)))
    g = (a.T.astype("float64") @ c / m).astype(dtype)
    got = fn(a, c)
    close(got[0], g, dtype)
    close(got[1], (c.astype("float64") @ g.T).astype(dtype), dtype)
    close(got[2], c.sum(axis=0), dtype)
    assert driver_of(fn).schedule_calls == 0


# -- what the driver does not take ------------------------------------------------------

def test_unsupported_node_keeps_the_schedule_with_one_log_line(caplog):
    x = T.matrix("x")
    with caplog.at_level(logging.INFO, logger="tensordsl.backends.c"):
        fn = tensordsl.function([x], T.sort(T.exp(x), axis=1) + 1, mode="FAST_RUN")
    assert driver_of(fn) is None
    lines = [r.getMessage() for r in caplog.records if "no function driver" in r.getMessage()]
    assert len(lines) == 1 and "Sort" in lines[0], lines
    value = np.random.default_rng(0).standard_normal((3, 4))
    close(fn(value), np.sort(np.exp(value), axis=1) + 1, "float64")


@pytest.mark.parametrize("set_", [False, True])
def test_set_and_inc_subtensor_keep_the_schedule(set_):
    # the scan loop's IncNode has no driver plan: the schedule runs it (a scan step with an
    # update on zero steps crashed in the driver's plan before)
    x = T.matrix("x")
    update = T.set_subtensor if set_ else T.inc_subtensor
    fn = tensordsl.function([x], update(T.exp(x)[0, 1:], x[1, :-1]) * 2, mode="FAST_RUN")
    assert driver_of(fn) is None
    value = np.random.default_rng(1).standard_normal((3, 4))
    want = np.exp(value)
    if set_:
        want[0, 1:] = value[1, :-1]
    else:
        want[0, 1:] += value[1, :-1]
    close(fn(value), want * 2, "float64")


def test_flag_off_keeps_the_schedule():
    x, w = T.matrix("x"), T.matrix("w")
    with config.change_flags(c_driver=False):
        fn = tensordsl.function([x, w], T.exp(T.dot(x, w)) + 1, mode="FAST_RUN")
    assert driver_of(fn) is None
    value = np.eye(3)
    close(fn(value, value), np.exp(value) + 1, "float64")


def test_layouts_the_driver_does_not_take_run_the_schedule():
    """b's rows broadcast at run time: its gradient must sum (SumToShape), which the
    driver leaves to the schedule for that shape signature only."""
    x, b = T.matrix("x"), T.matrix("b")
    fn = tensordsl.function([x, b], T.grad(T.sum(T.exp(x) * b), b), mode="FAST_RUN")
    runner = driver_of(fn)
    assert runner is not None
    xv = np.random.default_rng(0).standard_normal((4, 3))
    close(fn(xv, np.ones((4, 3))), np.exp(xv), "float64")
    assert (runner.foreign_calls, runner.schedule_calls) == (1, 0)
    close(fn(xv, np.ones((1, 3))), np.exp(xv).sum(axis=0, keepdims=True), "float64")
    assert (runner.foreign_calls, runner.schedule_calls) == (1, 1)


def test_bad_shapes_raise_the_ops_errors():
    x, w = T.matrix("x"), T.matrix("w")
    fn = tensordsl.function([x, w], T.exp(T.dot(x, w)) + 1, mode="FAST_RUN")
    assert driver_of(fn) is not None
    with pytest.raises(ValueError, match="not aligned|shape"):
        fn(np.ones((2, 3)), np.ones((4, 5)))
    with pytest.raises((ValueError, TypeError), match="x|ndim|dim"):
        fn(np.ones(3), np.ones((3, 2)))
    close(fn(np.ones((2, 3)), np.ones((3, 1))), np.exp(np.full((2, 1), 3.0)) + 1, "float64")


def test_update_values_a_caller_holds_are_never_overwritten():
    """A large update's arrays are recycled once nobody holds them (two generations
    kept), never while a caller holds the old value or a view of it."""
    x = T.matrix("x")
    start = np.arange(400 * 400, dtype="float64").reshape(400, 400) / 1000  # 1.28 MB
    W = tensordsl.shared(start.copy(), name="W")  # noqa: N806
    fn = tensordsl.function([x], T.sum(W * x), updates=[(W, W * 0.5 + x)], mode="FAST_RUN")
    runner = driver_of(fn)
    assert runner is not None
    xv = np.ones((400, 400))
    want, held, copies = start, [], []
    for _ in range(4):
        held.append(W.get_value(borrow=True)[1:])  # a view keeps the buffer alive
        copies.append(held[-1].copy())
        close(fn(xv), np.sum(want * xv), "float64")
        want = want * 0.5 + xv
        close(W.get_value(borrow=True), want, "float64")
    for h, c in zip(held, copies):
        np.testing.assert_array_equal(h, c)
    assert runner.recycled == 0
    del held
    for _ in range(4):  # nobody holds the old values now: the driver reuses them
        fn(xv)
        want = want * 0.5 + xv
    close(W.get_value(borrow=True), want, "float64")
    assert runner.recycled >= 2


def test_regions_are_shared_only_between_values_not_live_together():
    from tensordsl.backends.c.driver_plan import Regions

    r = Regions()
    a, b = r.take(100), r.take(10)  # 128 and 64 bytes
    assert (a, b, r.size) == (0, 128, 192)
    r.give(a)
    assert r.take(64) == 0 and r.take(64) == 64  # the freed block, first fit
    r.give(0)
    r.give(64)
    r.give(b)  # merged with its free neighbours: one block of all 192 bytes
    assert r.free == [(0, 192)] and r.take(192) == 0 and r.size == 192
    assert r.take(1) == 192 and r.size == 256


def test_a_view_read_late_keeps_its_source_region():
    """exp(x) is read directly for the last time by `* 2`, but its transpose (a view)
    is read after tanh: tanh's result must not take exp(x)'s region."""
    x = T.matrix("x")
    a = T.exp(x)
    b = T.tanh(T.dot(a * 2, a * 3))
    fn = tensordsl.function([x], T.dot(b, a.T) + a.T, mode="FAST_RUN")
    assert driver_of(fn) is not None
    v = np.random.default_rng(0).standard_normal((5, 5)) / 4
    av = np.exp(v)
    bv = np.tanh((av * 2) @ (av * 3))
    close(fn(v), bv @ av.T + av.T, "float64")


@functools.cache
def int_views(dtype: str) -> tensordsl.Function:
    """Integer kernels, a reduction, and outputs that are views of an input (copied)."""
    x = T.matrix("x", dtype)
    return tensordsl.function([x], [x.T * 2 + 1, T.sum(x > 0, axis=1), x[1:, ::2]],
                              mode="FAST_RUN")


@settings(max_examples=40, deadline=None)
@given(st.data(), st.sampled_from(["int32", "int64"]), st.integers(0, 5), st.integers(0, 5))
def test_integer_kernels_and_views_property(data, dtype, m, n):
    fn = int_views(dtype)
    x = data.draw(arrays(dtype, (m, n), elements=st.integers(-1000, 1000)))
    got = fn(x)
    want = [x.T * 2 + 1, np.sum(x > 0, axis=1), x[1:, ::2]]
    for g, w in zip(got, want):
        assert g.shape == w.shape
        np.testing.assert_array_equal(g, w)
    assert got[1].dtype == fn.maker.fgraph.outputs[1].dtype
    assert not np.shares_memory(got[2], x)
    assert driver_of(fn).schedule_calls == 0


def test_concurrent_calls_from_threads():
    """Calls from several threads at once: one holds the workspace, the others get their
    own; every result is its own call's."""
    from concurrent.futures import ThreadPoolExecutor

    x, w = T.matrix("x"), T.matrix("w")
    fn = tensordsl.function([x, w], T.tanh(T.dot(T.exp(x / 8), w)).sum(axis=0),
                            mode="FAST_RUN")
    assert driver_of(fn) is not None
    rng = np.random.default_rng(0)
    wv = rng.standard_normal((64, 32))
    xs = [rng.standard_normal((48, 64)) for _ in range(16)]

    def one(xv: np.ndarray) -> np.ndarray:
        return fn(xv, wv)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(one, xs * 4))
    for xv, got in zip(xs * 4, results):
        close(got, np.tanh(np.exp(xv / 8) @ wv).sum(axis=0), "float64")


@functools.cache
def vector_products(dtype: str) -> tensordsl.Function:
    """Matrix-vector, vector-matrix (a Gemm with a vector c after the rewrites) and inner
    products as 2-d ?gemm calls."""
    x, v, u = T.matrix("x", dtype), T.vector("v", dtype), T.vector("u", dtype)
    return tensordsl.function([x, v, u], [T.tanh(T.dot(x, v)) + T.dot(v, x.T) + T.dot(v, v),
                                          T.dot(u, x)], mode="FAST_RUN")


@settings(max_examples=40, deadline=None)
@given(st.data(), st.sampled_from(["float32", "float64"]), st.integers(0, 5),
       st.integers(0, 5))
def test_vector_products_property(data, dtype, m, k):
    fn = vector_products(dtype)
    x = data.draw(arrays(dtype, (m, k), elements=values(dtype)))
    v = data.draw(arrays(dtype, (k,), elements=values(dtype)))
    u = data.draw(arrays(dtype, (m,), elements=values(dtype)))
    x64, v64, u64 = (a.astype("float64") for a in (x, v, u))
    want = np.tanh(x64 @ v64) + v64 @ x64.T + v64 @ v64
    got = fn(x, v, u)
    close(got[0], want.astype(dtype), dtype)
    close(got[1], (u64 @ x64).astype(dtype), dtype)
    runner = driver_of(fn)
    assert runner is not None and runner.schedule_calls == 0


def test_binary_logistic_regression_tutorial_loop():
    """Theano's tutorial model (a weight vector): its product and row kernel become one
    RowBlock node, which the driver leaves to the per-node schedule; the training loop
    is right either way."""
    rng = np.random.default_rng(4)
    xv = rng.standard_normal((30, 5))
    yv = (xv[:, 0] + 0.5 * xv[:, 1] > 0).astype("float64")
    x, y = T.matrix("x"), T.vector("y")
    w = tensordsl.shared(rng.standard_normal(5), name="w")
    b = tensordsl.shared(0.0, name="b")
    p1 = 1 / (1 + T.exp(-T.dot(x, w) - b))
    xent = -y * T.log(p1) - (1 - y) * T.log(1 - p1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = T.grad(cost, [w, b])
    train = tensordsl.function([x, y], [p1 > 0.5, xent.mean()], mode="FAST_RUN",
                               updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)])
    wn, bn = w.get_value(), float(b.get_value())
    for _ in range(20):
        pred, loss = train(xv, yv)
        p = 1 / (1 + np.exp(-(xv @ wn) - bn))
        np.testing.assert_array_equal(pred, p > 0.5)
        close(loss, np.mean(-yv * np.log(p) - (1 - yv) * np.log(1 - p)), "float64")
        wn = wn - 0.1 * (xv.T @ (p - yv) / len(yv) + 0.02 * wn)
        bn = bn - 0.1 * np.mean(p - yv)
        close(w.get_value(), wn, "float64")
        close(b.get_value(), np.asarray(bn), "float64")


# -- updates accumulated into the shared value's own buffer (DriverRunner.lend) ---------

def address(shared) -> int:
    """The data address of a shared variable's value (no reference kept)."""
    return shared.container_value.__array_interface__["data"][0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mlp_weight_updates_accumulate_in_their_own_buffers(dtype):
    fn, shared = mlp_function(dtype)
    runner = driver_of(fn)
    assert sorted(runner.graph.donations) == [1, 3, 5]  # the three weight updates
    weights = shared[::2]
    params = [s.get_value() for s in shared]
    rng = np.random.default_rng(8)
    for call in range(1, 4):
        before = [address(w) for w in weights]
        X = rng.standard_normal((5, SIZES[0])).astype(dtype)  # noqa: N806
        Y = np.eye(SIZES[-1], dtype=dtype)[rng.integers(0, SIZES[-1], 5)]  # noqa: N806
        want_loss, params = mlp_numpy(X, Y, *params)
        close(fn(X, Y), np.asarray(want_loss, dtype), dtype)
        assert [address(w) for w in weights] == before  # updated in place
        assert runner.lent == 3 * call
        for s, want in zip(shared, params):
            close(s.get_value(), want, dtype)
    assert runner.schedule_calls == 0


def sgd_layer(dtype: str, lr: float = 0.5):
    """W <- W - lr * x.T @ g (one Gemm into W's buffer when it is lent), cost out."""
    x, g = T.matrix("x", dtype), T.matrix("g", dtype)
    W = tensordsl.shared(np.arange(12, dtype=dtype).reshape(4, 3) / 7, name="W")  # noqa: N806
    fn = tensordsl.function([x, g], T.sum(T.dot(x, W)), mode="FAST_RUN",
                            updates=[(W, W - np.asarray(lr, dtype) * T.dot(x.T, g))])
    return fn, W


def test_a_borrowed_or_viewed_value_is_never_written():
    fn, W = sgd_layer("float64")  # noqa: N806
    runner = driver_of(fn)
    x, g = np.ones((2, 4)), np.full((2, 3), 0.25)
    want = W.get_value()
    held = W.get_value(borrow=True)
    view = held[1:]
    copies = (held.copy(), view.copy())
    for lent in (0, 1, 2):  # held: not lent; a new value nobody holds: lent
        fn(x, g)
        want = want - 0.5 * (x.T @ g)
        close(W.get_value(), want, "float64")
        np.testing.assert_array_equal(held, copies[0])
        np.testing.assert_array_equal(view, copies[1])
        assert runner.lent == lent
        held2 = W.get_value(borrow=True)  # borrowed during the next call
        fn(x, g)
        want = want - 0.5 * (x.T @ g)
        assert runner.lent == lent
        assert not np.shares_memory(held2, W.get_value(borrow=True))
        del held2


def test_an_argument_that_is_the_value_itself_is_read_before_the_update():
    """x is W's own buffer: held by the caller, so not lent; results as numpy."""
    x, g = T.matrix("x"), T.matrix("g")
    W = tensordsl.shared(np.eye(3) + 0.5, name="W")  # noqa: N806
    fn = tensordsl.function([x, g], T.sum(x), mode="FAST_RUN",
                            updates=[(W, W - np.asarray(0.5) * T.dot(x.T, g))])
    g_val = np.full((3, 3), 0.1)
    value = W.get_value(borrow=True)
    want = value - 0.5 * (value.T @ g_val)
    close(fn(value, g_val), np.sum(np.eye(3) + 0.5), "float64")
    close(W.get_value(), want, "float64")
    assert driver_of(fn).lent == 0


def test_a_product_into_another_shared_value_lends_nothing():
    """W <- V - lr * x.T @ g: the product's c is V, whose value must stay V's."""
    x, g = T.matrix("x"), T.matrix("g")
    V = tensordsl.shared(np.ones((2, 3)), name="V")  # noqa: N806
    W = tensordsl.shared(np.zeros((2, 3)), name="W")  # noqa: N806
    fn = tensordsl.function([x, g], T.sum(x), mode="FAST_RUN",
                            updates=[(W, V - np.asarray(0.5) * T.dot(x.T, g))])
    xv, gv = np.ones((4, 2)), np.ones((4, 3))
    for _ in range(2):
        fn(xv, gv)
        close(V.get_value(), np.ones((2, 3)), "float64")
        close(W.get_value(), np.ones((2, 3)) - 0.5 * (xv.T @ gv), "float64")
    assert driver_of(fn).lent == 0


def test_an_update_also_returned_is_a_separate_array():
    x, g = T.matrix("x"), T.matrix("g")
    W = tensordsl.shared(np.ones((2, 3)), name="W")  # noqa: N806
    new = W - np.asarray(0.5) * T.dot(x.T, g)
    fn = tensordsl.function([x, g], new, updates=[(W, new)], mode="FAST_RUN")
    xv, gv = np.ones((4, 2)), np.ones((4, 3))
    out = fn(xv, gv)
    want = np.ones((2, 3)) - 0.5 * (xv.T @ gv)
    close(out, want, "float64")
    close(W.get_value(), want, "float64")
    assert not np.shares_memory(out, W.get_value(borrow=True))
    fn(xv, gv)
    close(out, want, "float64")  # the first result is not written by the next call


@functools.cache
def sgd_update(dtype: str, transposed: bool):
    x, g = T.matrix("x", dtype), T.matrix("g", dtype)
    W = tensordsl.shared(np.zeros((1, 1), dtype), name="W")  # noqa: N806
    prod = T.dot(x.T, g) if transposed else T.dot(x, g)
    fn = tensordsl.function([x, g], T.sum(g), mode="FAST_RUN",
                            updates=[(W, W - np.asarray(0.125, dtype) * prod)])
    return fn, W


@settings(max_examples=50, deadline=None)
@given(st.data(), st.sampled_from(["float32", "float64"]), st.booleans(),
       st.integers(0, 4), st.integers(0, 4), st.integers(0, 4), st.booleans())
def test_sgd_update_property(data, dtype, transposed, m, k, n, strided_value):
    """Shapes with 0 and 1 sizes, non-contiguous arguments, a value the driver may lend
    (owned, contiguous) or not (a strided view): the same values as numpy either way."""
    fn, W = sgd_update(dtype, transposed)  # noqa: N806
    runner = driver_of(fn)
    x = data.draw(arrays(dtype, (k, m) if transposed else (m, k), elements=values(dtype)))
    g = data.draw(arrays(dtype, (k, n), elements=values(dtype)))
    w0 = data.draw(arrays(dtype, (m, n), elements=values(dtype), layout="contiguous"))
    if strided_value:
        W.set_value(np.repeat(w0, 2, axis=1)[:, ::2], borrow=True)  # a view: never lent
    else:
        W.set_value(w0.copy(), borrow=True)
    lent = runner.lent
    xm = x.T if transposed else x
    want = w0
    for _ in range(2):
        close(fn(x, g), g.sum(dtype=dtype), dtype)
        want = (want.astype("float64") - 0.125 * (xm.astype("float64") @ g)).astype(dtype)
        close(W.get_value(), want, dtype)
    assert runner.schedule_calls == 0
    # the first call lends an owned value only; the second call's value is owned always
    assert runner.lent - lent == (1 if strided_value else 2)


def test_an_update_product_runs_after_the_last_read_of_its_value():
    """W's update comes first in the graph's order but V's update reads W: the driver
    runs W's product after that read, so both accumulate in their own buffers."""
    x, g = T.matrix("x"), T.matrix("g")
    W = tensordsl.shared(np.ones((2, 3)), name="W")  # noqa: N806
    V = tensordsl.shared(np.zeros((4, 3)), name="V")  # noqa: N806
    fn = tensordsl.function([x, g], [], mode="FAST_RUN",
                            updates=[(W, W - np.asarray(0.5) * T.dot(x.T, g)),
                                     (V, V + T.dot(x, W))])
    runner = driver_of(fn)
    order = [str(s.node.inputs[0]) for s in fn.thunk.steps if "Gemm" in str(s.node.op)]
    assert order == ["W", "V"]  # the schedule's order: W's update before V's reads W
    assert sorted(runner.graph.donations.values()) == [2, 3]
    rng = np.random.default_rng(4)
    for call in range(1, 4):
        xv, gv = rng.standard_normal((4, 2)), rng.standard_normal((4, 3))
        w0, v0 = W.get_value(), V.get_value()
        fn(xv, gv)
        close(W.get_value(), w0 - 0.5 * (xv.T @ gv), "float64")
        close(V.get_value(), v0 + xv @ w0, "float64")  # the old W
        assert runner.lent == 2 * call


def test_concurrent_sgd_calls_never_read_a_half_written_value():
    """Calls of an in-place SGD step from several threads run one at a time: each reads a
    whole value (old or new), so W is always W0 - n * lr * x.T @ g for one integer n for
    every element (a lost update between threads is Theano's race; a torn value, read
    while another call overwrites it, would make the elements differ)."""
    from concurrent.futures import ThreadPoolExecutor

    x, g = T.matrix("x"), T.matrix("g")
    W = tensordsl.shared(np.zeros((300, 200)), name="W")  # noqa: N806
    fn = tensordsl.function([x, g], T.sum(T.dot(x, W)), mode="FAST_RUN",
                            updates=[(W, W - np.asarray(0.5) * T.dot(x.T, g))])
    # each step subtracts exactly 1000.0; a product long enough for calls to overlap
    xv, gv = np.ones((2000, 300)), np.ones((2000, 200))

    def one(_: int) -> float:
        return fn(xv, gv)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(one, range(40)))
    steps = -W.get_value() / 1000.0
    assert np.all(steps == steps.flat[0]) and 1 <= steps.flat[0] <= 40
    assert driver_of(fn).lent >= 1
