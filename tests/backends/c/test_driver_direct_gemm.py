"""The function driver's generated small-GEMM kernel that reads b in place
(backends/c/small_gemm.py `direct_source`, chosen per call by `use_direct`). Products on
both sides of the measured rule's edges (rows, k, n; panel widths that do not divide n;
a transposed, strided or column-strided b that must keep ?gemm), Gemm's alpha and its
broadcast or non-contiguous c, the in-place accumulation into a lent weight, float32
and float64: the same values as numpy within the error bound of a k-term dot product;
each call's plan picks the path the rule names; an MLP step whose forward products
take the kernel equals numpy's step. The unit runs the kernel only when the call is on one
thread (driver_codegen), so every test here holds OpenBLAS and OpenMP at one thread, as
the adaptive run's one-thread arm does, except the one that checks the two-thread path."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tensordsl.backends.c import small_gemm, threads, validate
from tensordsl.backends.c.driver import DriverRunner
from tensordsl.backends.c.driver_graph import DIRECT_SLOT
from tensordsl.backends.c.render import PRELUDE
from tensordsl.backends.c.scan_graph import GemmNode

from .test_driver import LR, close, driver_of, mlp_numpy, mlp_params

ROWS = [0, 1, 2, 7, 8, 9, 16, 32, 33, 64]
DEPTHS = [1, 100, 127, 128, 130, 255, 257, 300]
WIDTHS = [5, 31, 127, 128, 161, 200]
# row-contiguous b twice as often: the rule's inside is a corner of the space drawn
LAYOUTS = ["contiguous", "rows", "contiguous", "rows", "columns", "transposed"]


@pytest.fixture(autouse=True)
def one_thread():
    """Every BLAS and OpenMP at one thread for the test (found after a C unit loaded)."""
    dot_functions("float32")
    knobs = threads.Knobs()
    before = knobs.single()
    yield knobs
    knobs.restore(before)


def direct_flags(runner: DriverRunner, inputs: list[np.ndarray]) -> list[int]:
    """Per product of the graph: whether the plan of these inputs' layouts runs it
    through the kernel that reads b in place (1) or ?gemm (0). `inputs`: the explicit
    arguments (the plan's key goes on with the shared values' layouts, unchanged here)."""
    mine = tuple((v.shape, v.strides) for v in inputs)
    (plan,) = [p[0] for key, p in runner.plans.items() if key[:len(mine)] == mine]
    return [int(plan.meta[n.meta + DIRECT_SLOT]) for n in runner.graph.nodes
            if isinstance(n, GemmNode)]


def check_product(got: np.ndarray, a: np.ndarray, b: np.ndarray, alpha: float = 1.0,
                  c: np.ndarray | None = None) -> None:
    """got == alpha * a @ b (+ c) within the bound of a k-term sum of products in got's
    precision (each term and each partial sum rounded once: (k + 2) eps |a| @ |b|)."""
    a64, b64 = a.astype("float64"), b.astype("float64")
    want = alpha * (a64 @ b64)
    size = abs(alpha) * (np.abs(a64) @ np.abs(b64))
    if c is not None:
        want, size = want + c, size + np.abs(c)
    eps = np.finfo(got.dtype).eps
    assert got.shape == want.shape and got.dtype == a.dtype
    bound = (a.shape[1] + 4) * eps * size + np.finfo(got.dtype).tiny
    np.testing.assert_array_less(np.abs(got - want), bound + 1e-300)


def values(dtype: str) -> st.SearchStrategy:
    return st.floats(-3, 3, width=32 if dtype == "float32" else 64)


def draw_b(data: st.DataObject, dtype: str, k: int, n: int, layout: str) -> np.ndarray:
    """b (k x n): row-major, row-major rows of a wider array (a row stride that is not
    n: still read in place), every other column (must keep ?gemm), or a transposed
    matrix (column-major: must keep ?gemm)."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    full = rng.uniform(-3, 3, (k, 2 * n + 3)).astype(dtype)
    if layout == "contiguous":
        return np.ascontiguousarray(full[:, :n])
    if layout == "rows":
        return full[:, 3:n + 3]
    if layout == "columns":
        return full[:, : 2 * n : 2]
    return np.ascontiguousarray(full[:, :n].T).T


@functools.cache
def dot_functions(dtype: str) -> tuple[tensordsl.Function, tensordsl.Function]:
    """x @ w alone (a Dot), and c + alpha * x @ w (a Gemm, c a matrix)."""
    x, w, c = T.matrix("x", dtype), T.matrix("w", dtype), T.matrix("c", dtype)
    alpha = np.asarray(-0.375, dtype)
    return (tensordsl.function([x, w], T.dot(x, w), mode="FAST_RUN"),
            tensordsl.function([x, w, c], c + alpha * T.dot(x, w), mode="FAST_RUN"))


def run_both(dtype: str, x: np.ndarray, w: np.ndarray, c: np.ndarray) -> list[int]:
    """Both products checked against numpy; the path each call's plan picked."""
    dot_fn, gemm_fn = dot_functions(dtype)
    flags = []
    for fn, args, alpha, cc in ((dot_fn, [x, w], 1.0, None),
                                (gemm_fn, [x, w, c], -0.375, c.astype("float64"))):
        runner = driver_of(fn)
        calls = runner.foreign_calls
        check_product(fn(*args), x, w, alpha, cc)
        assert runner.foreign_calls == calls + 1 and runner.schedule_calls == 0
        assert [type(n.node.op).__name__ for n in runner.graph.nodes
                if isinstance(n, GemmNode)] == ["Dot" if cc is None else "Gemm"]
        flags += direct_flags(runner, args)
    return flags


@settings(max_examples=80, deadline=None)
@given(st.data(), st.sampled_from(["float32", "float64"]), st.sampled_from(ROWS),
       st.sampled_from(DEPTHS), st.sampled_from(WIDTHS), st.sampled_from(LAYOUTS),
       st.booleans())
def test_products_equal_numpy_on_both_sides_of_the_rule(data, dtype, m, k, n, layout,
                                                        c_strided):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    x = rng.uniform(-3, 3, (m, k)).astype(dtype)
    w = draw_b(data, dtype, k, n, layout)
    c = rng.uniform(-3, 3, (m, 2 * n)).astype(dtype)
    c = c[:, ::2] if c_strided else np.ascontiguousarray(c[:, :n])
    want = small_gemm.use_direct(m, k, n, dtype, w.strides)
    assert run_both(dtype, x, w, c) == [int(want)] * 2
    if layout in ("columns", "transposed") and n > 1:
        assert not want  # b's columns are not contiguous: ?gemm


@pytest.mark.parametrize("dtype,m,k,n", [("float32", 16, 300, 161), ("float32", 2, 128, 130),
                                         ("float32", 32, 257, 200), ("float64", 8, 257, 130),
                                         ("float64", 5, 300, 161)])
@pytest.mark.parametrize("layout", ["contiguous", "rows"])
def test_shapes_inside_the_rule_take_the_kernel(dtype, m, k, n, layout):
    """Row counts that do not fill the last block, n not a multiple of the panel (the
    last panel overlaps the one before and writes only its own columns)."""
    rng = np.random.default_rng(m * k + n)
    x = rng.uniform(-3, 3, (m, k)).astype(dtype)
    full = rng.uniform(-3, 3, (k, n + 7)).astype(dtype)
    w = np.ascontiguousarray(full[:, :n]) if layout == "contiguous" else full[:, 7:]
    c = rng.uniform(-3, 3, (m, n)).astype(dtype)
    assert run_both(dtype, x, w, c) == [1, 1]


@pytest.mark.parametrize("dtype,m,k,n,want", [
    ("float32", 1, 784, 512, False), ("float32", 2, 784, 512, True),
    ("float32", 32, 784, 512, True), ("float32", 33, 784, 512, False),
    ("float32", 16, 127, 512, False), ("float32", 16, 128, 127, False),
    ("float32", 16, 128, 128, True), ("float32", 16, 8193, 512, False),
    ("float64", 8, 512, 512, True), ("float64", 9, 512, 512, False),
    ("float64", 8, 784, 512, False), ("float64", 8, 255, 512, False),
    ("int64", 16, 784, 512, False)])
def test_the_rule(dtype, m, k, n, want):
    item = np.dtype(dtype).itemsize
    assert small_gemm.use_direct(m, k, n, dtype, (n * item, item)) is want
    assert small_gemm.use_direct(m, k, n, dtype, (item, k * item)) is False  # b.T


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_on_two_threads_a_kernel_product_runs_through_gemm_with_the_same_values(one_thread,
                                                                                 dtype):
    """The plan still names the kernel; the unit sees two threads and calls ?gemm."""
    if len(one_thread.pairs) < 2:
        pytest.skip("no OpenMP runtime or no OpenBLAS in this process")
    rng = np.random.default_rng(5)
    x = rng.uniform(-3, 3, (8, 300)).astype(dtype)
    w = rng.uniform(-3, 3, (300, 161)).astype(dtype)
    c = rng.uniform(-3, 3, (8, 161)).astype(dtype)
    for set_, _ in one_thread.pairs:
        set_(2)
    try:
        assert run_both(dtype, x, w, c) == [1, 1]
    finally:
        for set_, _ in one_thread.pairs:
            set_(1)


@functools.cache
def bias_layer(dtype: str) -> tensordsl.Function:
    """x @ w + b: a Gemm whose c is the bias broadcast over the rows."""
    x, w, b = T.matrix("x", dtype), T.matrix("w", dtype), T.vector("b", dtype)
    return tensordsl.function([x, w, b], T.dot(x, w) + b, mode="FAST_RUN")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_broadcast_c(dtype):
    fn = bias_layer(dtype)
    rng = np.random.default_rng(4)
    x = rng.uniform(-3, 3, (7, 260)).astype(dtype)
    w = rng.uniform(-3, 3, (260, 150)).astype(dtype)
    b = rng.uniform(-3, 3, 150).astype(dtype)
    got = fn(x, w, b)
    assert direct_flags(driver_of(fn), [x, w, b]) == [1]
    check_product(got, x, w, 1.0, np.broadcast_to(b.astype("float64"), (7, 150)))


@functools.cache
def sgd_rows(dtype: str):
    """W <- W - lr * x @ g with W (m x n) a shared value the driver may lend: the product
    accumulates into W's own buffer."""
    x, g = T.matrix("x", dtype), T.matrix("g", dtype)
    W = tensordsl.shared(np.zeros((1, 1), dtype), name="W")  # noqa: N806
    fn = tensordsl.function([x, g], T.sum(g), mode="FAST_RUN",
                            updates=[(W, W - np.asarray(0.125, dtype) * T.dot(x, g))])
    return fn, W


@settings(max_examples=30, deadline=None)
@given(st.data(), st.sampled_from(["float32", "float64"]), st.sampled_from([1, 7, 8, 9, 16]),
       st.sampled_from([130, 257]), st.sampled_from([33, 161]))
def test_in_place_accumulation_into_a_lent_weight(data, dtype, m, k, n):
    fn, W = sgd_rows(dtype)  # noqa: N806
    runner = driver_of(fn)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    x = rng.uniform(-3, 3, (m, k)).astype(dtype)
    g = rng.uniform(-3, 3, (k, n)).astype(dtype)
    w0 = rng.uniform(-3, 3, (m, n)).astype(dtype)
    W.set_value(w0.copy(), borrow=True)
    lent = runner.lent
    want = w0
    for _ in range(2):
        before = W.container_value.__array_interface__["data"][0]
        close(fn(x, g), g.sum(dtype=dtype), dtype)
        assert W.container_value.__array_interface__["data"][0] == before  # in place
        check_product(W.get_value(), x, g, -0.125, want.astype("float64"))
        want = W.get_value()
    assert runner.lent - lent == 2 and runner.schedule_calls == 0
    assert direct_flags(runner, [x, g]) == [int(small_gemm.use_direct(m, k, n, dtype,
                                                                       g.strides))]


def mlp_function(dtype: str, sizes: tuple[int, ...]) -> tuple[tensordsl.Function, list]:
    """The SGD step of tests/backends/c/test_driver.py's MLP, with these layer sizes."""
    X, Y = T.matrix("X", dtype), T.matrix("Y", dtype)  # noqa: N806
    shared = [tensordsl.shared(v, name=k) for k, v in mlp_params(dtype, sizes).items()]
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


@pytest.mark.parametrize("dtype,batches,taken", [("float32", (16, 16, 5), [2, 2, 2]),
                                                 ("float64", (8, 8, 16), [2, 2, 0])])
def test_mlp_step_with_kernel_products_equals_numpy(dtype, batches, taken):
    """Layer sizes whose forward products X @ W1 and h1 @ W2 take the kernel (the others:
    a transposed b, n = 10, or m = fan-in keep ?gemm); a second batch size re-plans
    (float64 at 16 rows: ?gemm)."""
    sizes = (300, 260, 140, 10)
    fn, shared = mlp_function(dtype, sizes)
    runner = driver_of(fn)
    params = [s.get_value() for s in shared]
    rng = np.random.default_rng(6)
    took = []
    for batch in batches:
        X = rng.standard_normal((batch, sizes[0])).astype(dtype)  # noqa: N806
        Y = np.eye(sizes[-1], dtype=dtype)[rng.integers(0, sizes[-1], batch)]  # noqa: N806
        want_loss, params = mlp_numpy(X, Y, *params)
        close(fn(X, Y), np.asarray(want_loss, dtype), dtype)
        for s, want in zip(shared, params):
            close(s.get_value(), want, dtype)
        params = [s.get_value() for s in shared]
        took.append(sum(direct_flags(runner, [X, Y])))
    assert took == taken and runner.schedule_calls == 0


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_kernel_source_is_valid_c(dtype):
    """The unit text passes the validator every generated unit passes (pycparser)."""
    validate.check_source("\n".join([PRELUDE, "void *memcpy(void *, const void *, "
                                     "unsigned long);", small_gemm.direct_source(dtype)]))
