"""Compiled functions on dask arrays, on a LocalCluster of 2 worker processes.

Skipped (with the reason printed) only when dask/distributed are not installed:
`pip install tensordsl[dask]` (the `test` extra includes them).
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st

da = pytest.importorskip("dask.array", reason="dask is not installed: pip install "
                         "tensordsl[dask] runs these tests")
distributed = pytest.importorskip("distributed", reason="dask.distributed is not installed: "
                                  "pip install tensordsl[dask] runs these tests")
cloudpickle = pytest.importorskip("cloudpickle", reason="cloudpickle comes with dask")

import dask  # noqa: E402

import tensordsl  # noqa: E402
from tensordsl import tensor as T  # noqa: E402
from tensordsl.errors import CompileError  # noqa: E402

# per-element tolerance by dtype (tree reductions sum in a different order than numpy)
RTOL = {"float32": 2e-5, "float64": 1e-11}
RTOL_REDUCE = {"float32": 2e-4, "float64": 1e-9}
MEMORY_LIMIT = "300MB"


@pytest.fixture(scope="module")
def client():
    """Two single-threaded worker processes limited to 300 MB each, for the module."""
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       memory_limit=MEMORY_LIMIT, dashboard_address=None)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


def close(got, want, rtol, atol=0.0):
    got = np.asarray(got)
    want = np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


# -- functions compiled by the decorator (module level: they pickle by name) ---------------
@tensordsl.compile
def black_scholes(s, k, t, r, v):
    d1 = (np.log(s / k) + (r + 0.5 * v * v) * t) / (v * np.sqrt(t))
    d2 = d1 - v * np.sqrt(t)
    cnd1 = 0.5 + 0.5 * scipy.special.erf(d1 / np.sqrt(2.0))
    cnd2 = 0.5 + 0.5 * scipy.special.erf(d2 / np.sqrt(2.0))
    call = s * cnd1 - k * np.exp(-r * t) * cnd2
    return call, call - s + k * np.exp(-r * t)


def black_scholes_np(s, k, t, r, v):
    d1 = (np.log(s / k) + (r + 0.5 * v * v) * t) / (v * np.sqrt(t))
    d2 = d1 - v * np.sqrt(t)
    cnd1 = 0.5 + 0.5 * scipy.special.erf(d1 / np.sqrt(2.0))
    cnd2 = 0.5 + 0.5 * scipy.special.erf(d2 / np.sqrt(2.0))
    call = s * cnd1 - k * np.exp(-r * t) * cnd2
    return call, call - s + k * np.exp(-r * t)


@tensordsl.compile
def affine(x, w, b):
    return np.tanh(x * w + b) - x.T.T


@tensordsl.compile
def plus_transpose(x):
    return np.exp(x) + x.T


@tensordsl.compile
def standardize(x):
    return (x - x.mean(axis=0)) / x.std(axis=0)


@tensordsl.compile
def softmax(x):
    return np.exp(x - scipy.special.logsumexp(x, axis=1, keepdims=True))


@tensordsl.compile
def matmul(x, y):
    return x @ y


@tensordsl.compile
def shifted(x):
    return x[1:] - x[:-1]


@tensordsl.compile
def exp_sum(x):
    return np.sum(np.exp(-x))


@tensordsl.compile
def slow_kernel(x):
    y = x
    for _ in range(6):
        y = np.sin(y) * np.cos(y) + np.exp(-y * y)
    return y.sum()


@tensordsl.compile(static_argnames=("axis",))
def reduce_sum(x, axis):
    return np.sum(x, axis=axis)


@tensordsl.compile(static_argnames=("axis",))
def reduce_mean(x, axis):
    return np.mean(x, axis=axis)


@tensordsl.compile(static_argnames=("axis",))
def reduce_max(x, axis):
    return np.max(x, axis=axis)


@tensordsl.compile(static_argnames=("axis",))
def reduce_min(x, axis):
    return np.min(x, axis=axis)


@tensordsl.compile(static_argnames=("axis",))
def reduce_prod(x, axis):
    return np.prod(x, axis=axis)


@tensordsl.compile(static_argnames=("axis",))
def reduce_var(x, axis):
    return np.var(x, axis=axis)


@tensordsl.compile(static_argnames=("axis",))
def reduce_logsumexp(x, axis):
    return scipy.special.logsumexp(x, axis=axis)


COMPILED_REDUCTIONS = {"sum": reduce_sum, "mean": reduce_mean, "max": reduce_max,
                       "min": reduce_min, "prod": reduce_prod, "var": reduce_var,
                       "logsumexp": reduce_logsumexp}
NUMPY_REDUCTIONS = {"sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min,
                    "prod": np.prod, "var": np.var, "logsumexp": scipy.special.logsumexp}


# -- blockwise ----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_blockwise_black_scholes_matches_numpy(client, dtype):
    rng = np.random.default_rng(0)
    n = 100_003  # uneven last chunk
    s = rng.uniform(10, 50, n).astype(dtype)
    k = rng.uniform(10, 50, n).astype(dtype)
    t = rng.uniform(0.5, 2.0, n).astype(dtype)
    ds, dk, dt = (da.from_array(a, chunks=20_000) for a in (s, k, t))
    call, put = black_scholes(ds, dk, dt, 0.02, 0.3)
    assert isinstance(call, da.Array) and isinstance(put, da.Array)
    assert call.chunks == ds.chunks
    want_call, want_put = black_scholes_np(s, k, t, np.asarray(0.02, dtype),
                                           np.asarray(0.3, dtype))
    got_call, got_put = dask.compute(call, put)
    close(got_call, want_call, RTOL[dtype], atol=RTOL[dtype] * 50)
    close(got_put, want_put, RTOL[dtype], atol=RTOL[dtype] * 50)


def test_broadcasting_with_differently_chunked_inputs(client):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((300, 40))
    w = rng.standard_normal(40)
    b = rng.standard_normal((300, 1))
    dx = da.from_array(x, chunks=(70, 13))
    dw = da.from_array(w, chunks=9)
    db = da.from_array(b, chunks=(110, 1))
    got = affine(dx, dw, db)
    assert isinstance(got, da.Array)
    close(got.compute(), np.tanh(x * w + b) - x, RTOL["float64"], atol=1e-14)
    # numpy arrays and Python numbers mix with dask arrays
    close(affine(dx, w, 0.5).compute(), np.tanh(x * w + 0.5) - x, RTOL["float64"], atol=1e-14)


def test_transposed_use_of_one_input(client):
    x = np.random.default_rng(2).standard_normal((50, 50))
    got = plus_transpose(da.from_array(x, chunks=(20, 15)))
    close(got.compute(), np.exp(x) + x.T, RTOL["float64"])


@settings(max_examples=25)
@given(rows=st.integers(0, 9), cols=st.sampled_from([1, 3, 8]),
       row_chunk=st.integers(1, 4), col_chunk=st.integers(1, 3),
       dtype=st.sampled_from(["float32", "float64", "int64"]), data=st.data())
def test_property_broadcast_and_sum(rows, cols, row_chunk, col_chunk, dtype, data):
    """Random shapes (0-size, size-1 broadcast dims), chunkings and dtypes, run with
    dask's synchronous scheduler against numpy."""
    x = data.draw(st.lists(st.integers(-50, 50), min_size=rows * cols,
                           max_size=rows * cols))
    x = np.asarray(x, dtype=dtype).reshape(rows, cols)
    y = np.arange(cols, dtype=dtype)[::-1]  # non-contiguous
    xv, yv = T.matrix("x", dtype=dtype), T.vector("y", dtype=dtype)
    fn = tensordsl.function([xv, yv], [xv * yv + 1, T.sum(xv * 2, axis=0), T.mean(xv + yv)])
    with dask.config.set(scheduler="sync"):
        dx = da.from_array(x, chunks=(row_chunk, col_chunk))
        got = dask.compute(*fn(dx, y))
    close(got[0], x * y + 1, 1e-6)
    close(got[1], np.sum(x * 2, axis=0), 1e-5)
    if rows:
        mean_want = fn(x, y)[2]  # the non-dask path: same dtype rules
        np.testing.assert_allclose(got[2], mean_want, rtol=1e-5)
        assert got[2].dtype == mean_want.dtype


# -- reductions ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(COMPILED_REDUCTIONS))
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_each_reduction_matches_numpy(client, name, axis):
    rng = np.random.default_rng(3)
    dtype = "float64"
    low, high = (0.9, 1.1) if name == "prod" else (-3.0, 3.0)  # keep prod finite
    x = rng.uniform(low, high, (120, 30)).astype(dtype)
    dx = da.from_array(x, chunks=(25, 7))
    got = COMPILED_REDUCTIONS[name](dx, axis)
    assert isinstance(got, da.Array)
    want = np.asarray(NUMPY_REDUCTIONS[name](x, axis=axis))
    close(got.compute(), want, RTOL_REDUCE[dtype])


@pytest.mark.parametrize("dtype", ["float32", "int32", "int64"])
def test_reductions_other_dtypes(client, dtype):
    x = np.random.default_rng(4).integers(-20, 20, (64, 9)).astype(dtype)
    dx = da.from_array(x, chunks=(10, 4))
    for name in ("sum", "max", "min", "mean"):
        got = COMPILED_REDUCTIONS[name](dx, 0).compute()
        want = COMPILED_REDUCTIONS[name](x, 0)  # the numpy-array path: its dtype rules
        assert got.dtype == want.dtype, name
        np.testing.assert_allclose(got, NUMPY_REDUCTIONS[name](x, axis=0),
                                   rtol=RTOL_REDUCE["float32"])


def test_graphs_mixing_reductions_and_elementwise(client):
    x = np.random.default_rng(5).standard_normal((200, 16)) * 4
    dx = da.from_array(x, chunks=(45, 5))
    close(standardize(dx).compute(), (x - x.mean(axis=0)) / x.std(axis=0), 1e-9, 1e-12)
    want = np.exp(x - scipy.special.logsumexp(x, axis=1, keepdims=True))
    close(softmax(dx).compute(), want, 1e-9, 1e-15)


def test_function_on_dask_arrays(client):
    x, y = T.dmatrix("x"), T.dvector("y")
    total = T.sum(T.exp(x), axis=1)
    fn = tensordsl.function([x, y], (x * y - T.max(x), total, T.var(x)))
    xs = np.random.default_rng(6).standard_normal((90, 12))
    ys = np.linspace(0, 1, 12)
    out = fn(da.from_array(xs, chunks=(20, 5)), y=ys)
    assert isinstance(out, tuple) and all(isinstance(o, da.Array) for o in out)
    got = dask.compute(*out)
    close(got[0], xs * ys - xs.max(), 1e-12)
    close(got[1], np.exp(xs).sum(axis=1), 1e-12)
    close(got[2], np.var(xs), 1e-9)
    with pytest.raises(TypeError, match="input 'x'"):
        fn(da.from_array(xs[0], chunks=4), ys)  # a vector for a matrix input


def test_function_with_updates_is_refused(client):
    acc = tensordsl.shared(np.zeros(3), name="acc")
    x = T.dvector("x")
    fn = tensordsl.function([x], x.sum(), updates=[(acc, acc + x)])
    with pytest.raises(TypeError, match="updates"):
        fn(da.ones(3, chunks=2))
    assert np.array_equal(acc.get_value(), np.zeros(3))


@pytest.mark.parametrize("fn, op", [(matmul, "Dot"), (shifted, "Subtensor")])
def test_ops_without_a_blockwise_form_raise_naming_the_op(fn, op):
    x = da.ones((6, 6), chunks=3)
    with pytest.raises(CompileError, match=op) as err:
        fn(*([x] * (2 if fn is matmul else 1)))
    assert "dask" in str(err.value)


# -- workers: compile once, out-of-core, faults --------------------------------------------
def test_each_worker_compiles_a_kernel_once_and_reuses_it(client):
    before = client.run(tensordsl.dask.stats)
    x = da.random.RandomState(7).random_sample((64, 50), chunks=(4, 50))  # 16 chunks

    @tensordsl.compile
    def scaled(v):
        return np.log1p(v) * 3.0

    result = scaled(x).compute()
    np.testing.assert_allclose(result, np.log1p(x.compute()) * 3.0, rtol=1e-12)
    after = client.run(tensordsl.dask.stats)
    compiles = {w: after[w]["compiles"] - before[w]["compiles"] for w in after}
    calls = {w: after[w]["calls"] - before[w]["calls"] for w in after}
    assert sum(calls.values()) == 16
    assert all(c <= 1 for c in compiles.values()), compiles
    assert sum(compiles.values()) >= 1
    # another shape and chunking: the same kernel (same digest), nothing compiled again
    y = da.random.RandomState(7).random_sample((30, 21), chunks=(7, 21))
    np.testing.assert_allclose(scaled(y).compute(), np.log1p(y.compute()) * 3.0, rtol=1e-12)
    again = client.run(tensordsl.dask.stats)
    assert sum(again[w]["calls"] - after[w]["calls"] for w in again) == 5
    for w in again:  # a worker that compiled the kernel before does not compile it again
        assert again[w]["compiles"] - after[w]["compiles"] <= (compiles[w] == 0), w


def test_out_of_core_reduction(client):
    """1.2 GB of float64 (4x a worker's 300 MB limit), generated lazily by da.random."""
    limit = 300e6
    n = 150_000_000
    x = da.random.RandomState(8).random_sample((n,), chunks=2_500_000)
    assert x.nbytes >= 4 * limit
    start = time.perf_counter()
    total = float(exp_sum(x).compute())
    elapsed = time.perf_counter() - start
    # E[exp(-U)] = 1 - 1/e for U uniform on [0, 1); the standard error at n = 1.5e8 is 1.5e-5
    assert abs(total / n - (1 - np.exp(-1))) < 2e-4
    assert elapsed < 60


def test_killed_worker_is_rescheduled(client):
    x = da.random.RandomState(9).uniform(-1, 1, 4_000_000, chunks=250_000)  # 16 tasks
    want = slow_kernel(x.compute())  # the numpy-array path
    pids = client.run(os.getpid)
    future = client.compute(slow_kernel(x))

    def finished(dask_scheduler=None):
        return sum(ts.state == "memory" for ts in dask_scheduler.tasks.values())

    deadline = time.monotonic() + 60
    while client.run_on_scheduler(finished) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not future.done(), "the computation ended before a worker could be killed"
    victim = sorted(pids)[0]
    os.kill(pids[victim], signal.SIGKILL)
    got = future.result(timeout=120)
    np.testing.assert_allclose(got, want, rtol=1e-9)
    client.wait_for_workers(2, timeout=60)
    assert pids[victim] not in client.run(os.getpid).values()


# -- pickling ------------------------------------------------------------------------------
def test_compiled_function_pickles_and_runs_on_a_worker(client):
    x = np.random.default_rng(10).standard_normal((5, 4))
    for dumps, loads in ((pickle.dumps, pickle.loads),
                         (cloudpickle.dumps, cloudpickle.loads)):
        copy = loads(dumps(plus_transpose))
        assert copy is plus_transpose  # module-level: by name, one object per process
    remote = client.submit(plus_transpose, x[:4, :4]).result()
    np.testing.assert_allclose(remote, np.exp(x[:4, :4]) + x[:4, :4].T, rtol=1e-12)

    offset = 2.5

    @tensordsl.compile(signature="f8[:, :]")
    def local(v):  # a closure: cloudpickle ships it by value, with its source lines
        return np.sqrt(np.abs(v)) + offset

    copy = cloudpickle.loads(cloudpickle.dumps(local))
    assert copy is not local and copy.signatures == ["float64[:, :]"]
    np.testing.assert_allclose(copy(x), np.sqrt(np.abs(x)) + offset, rtol=1e-12)
    remote = client.submit(local, x).result()
    np.testing.assert_allclose(remote, np.sqrt(np.abs(x)) + offset, rtol=1e-12)


def test_function_pickles_by_graph():
    x = T.dvector("x")
    scale = tensordsl.shared(np.asarray(2.0), name="scale")
    c = T.dscalar("c")
    fn = tensordsl.function([x, tensordsl.In(c, value=1.5)], [T.exp(x) * scale + c, x.sum()],
                            name="f")
    copy = pickle.loads(pickle.dumps(fn))
    xs = np.linspace(-1, 1, 7)
    for got, want in zip(copy(xs), fn(xs)):
        np.testing.assert_allclose(got, want, rtol=1e-15)
    assert copy.name == "f"
    scale.set_value(np.asarray(3.0))  # the copy carries its own shared value
    np.testing.assert_allclose(copy(xs)[0], np.exp(xs) * 2 + 1.5, rtol=1e-15)
    np.testing.assert_allclose(copy(xs, 0.5)[0], np.exp(xs) * 2 + 0.5, rtol=1e-15)


def test_kernel_pickles_by_graph_and_compiles_once():
    from tensordsl.dask.kernels import Kernel, stats

    x = T.dvector("x")
    kernel = Kernel([x], [T.tanh(x) * 2], tensordsl.runtime.mode.get_mode("FAST_RUN"),
                    "theano", "k")
    copies = [pickle.loads(pickle.dumps(kernel)) for _ in range(3)]
    assert {c.digest for c in copies} == {kernel.digest}
    before = stats()["compiles"]
    for c in copies:
        np.testing.assert_allclose(c(np.arange(3.0)), np.tanh(np.arange(3.0)) * 2,
                                   rtol=1e-15)
    assert stats()["compiles"] - before == 1


def test_core_does_not_import_dask():
    code = ("import sys, numpy as np, tensordsl\n"
            "from tensordsl import tensor as T\n"
            "x = T.dvector('x')\n"
            "f = tensordsl.function([x], T.exp(x).sum())\n"
            "f(np.arange(3.0)); f(x=np.ones(2))\n"
            "print(sorted(m for m in sys.modules if m == 'dask' or m.startswith('dask.')))\n")
    env = dict(os.environ, PYTHONPATH=os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH",
                                                                                 ""))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True)
    assert out.stdout.strip() == "[]"


def test_example_runs_and_matches_numpy():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    n, chunk = 400_000, 100_000
    out = subprocess.run([sys.executable, os.path.join(root, "examples",
                                                       "dask_black_scholes.py"),
                          "--n", str(n), "--chunk", str(chunk)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = dict(line.split(" = ", 1) for line in out.stdout.splitlines() if " = " in line)
    assert "100% Completed" in out.stdout  # dask's progress bar ran to the end
    assert float(lines["max abs error of the first block vs numpy"]) < 1e-10
    sys.path.insert(0, os.path.join(root, "examples"))
    try:
        from dask_black_scholes import black_scholes as plain
    finally:
        sys.path.pop(0)
    with dask.config.set(scheduler="sync"):
        rs = da.random.RandomState(0)
        S, K, T_, sigma = (rs.uniform(lo, hi, n, chunks=chunk).compute()
                           for lo, hi in ((5.0, 30.0), (1.0, 100.0), (0.25, 10.0),
                                          (0.1, 0.5)))
    want = plain(S, K, T_, 0.02, sigma)[0].mean()
    assert abs(float(lines["mean call price"]) - want) < 1e-5


def test_declared_signature_applies_to_dask_arrays():
    @tensordsl.compile(signature="f8[:]")
    def twice(v):
        return v * 2.0

    x = np.arange(5.0)
    with dask.config.set(scheduler="sync"):
        close(twice(da.from_array(x, chunks=2)).compute(), x * 2.0, 0)
        with pytest.raises(TypeError, match="no compiled signature"):
            twice(da.from_array(x.astype("float32"), chunks=2))


def test_unknown_chunk_sizes_are_refused():
    x = da.from_array(np.arange(6.0), chunks=2)
    masked = x[x > 2]  # unknown shape (nan chunks)
    with pytest.raises(ValueError, match="compute_chunk_sizes"):
        exp_sum(masked)


def test_scalar_function_with_a_fast_call_takes_the_dask_path():
    x, y = T.dscalars("x", "y")
    fn = tensordsl.function([x, y], x * y + 1)
    with dask.config.set(scheduler="sync"):
        got = fn(da.from_array(np.asarray(2.0)), 3.0)
        assert isinstance(got, da.Array)
        assert float(got.compute()) == 7.0
        got = fn(2.0, y=da.from_array(np.asarray(-3.0)))
        assert float(got.compute()) == -5.0
    assert fn(2.0, 3.0) == 7.0  # numpy arguments still take the compiled path


@settings(max_examples=30)
@given(shape=st.lists(st.integers(1, 7), min_size=1, max_size=3),
       kind=st.sampled_from(["sum", "prod", "max", "min", "mean", "var", "logsumexp"]),
       dtype=st.sampled_from(["float32", "float64", "int64"]), data=st.data())
def test_property_reductions_over_random_axes_and_chunks(shape, kind, dtype, data):
    """Any axis subset of a random array in random chunks (dask's synchronous scheduler,
    FAST_COMPILE kernels) gives the value of the same function on the numpy array."""
    ndim = len(shape)
    axes = tuple(sorted(data.draw(st.sets(st.integers(0, ndim - 1), min_size=1))))
    chunks = tuple(data.draw(st.integers(1, s)) for s in shape)
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    x = rng.uniform(0.5, 1.5, shape) if kind == "prod" else rng.uniform(-4, 4, shape)
    if dtype == "int64" and kind in ("sum", "max", "min", "mean"):
        x = np.rint(x * 10)
    elif dtype == "int64":
        dtype = "float64"
    x = x.astype(dtype)
    xv = T.TensorType(dtype, (None,) * ndim)("x")
    build = {"sum": T.sum, "prod": T.prod, "max": T.max, "min": T.min, "mean": T.mean,
             "var": T.var, "logsumexp": T.logsumexp}[kind]
    fn = tensordsl.function([xv], build(xv, axis=axes), mode="FAST_COMPILE")
    want = fn(x)
    with dask.config.set(scheduler="sync"):
        got = fn(da.from_array(x, chunks=chunks)).compute()
    assert got.dtype == want.dtype
    # float32 sums of up to 343 values of size 4: a few ulps of the partial sums apart
    atol = 2e-4 if want.dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got, want, rtol=RTOL_REDUCE.get(str(want.dtype), 1e-9),
                               atol=atol)
    reference = {"sum": np.sum, "prod": np.prod, "max": np.max, "min": np.min,
                 "mean": np.mean, "var": np.var, "logsumexp": scipy.special.logsumexp}[kind]
    np.testing.assert_allclose(got, reference(x.astype("float64"), axis=axes), rtol=1e-4,
                               atol=max(atol, 1e-9) * 5)


def test_function_with_updates_and_givens_pickles():
    acc = tensordsl.shared(np.zeros(3), name="acc")
    x, z = T.dvector("x"), T.dvector("z")
    fn = tensordsl.function([x], (z * 2).sum(), updates=[(acc, acc + x)], givens=[(z, x + 1)])
    copy = pickle.loads(pickle.dumps(fn))
    assert float(copy(np.ones(3))) == 12.0  # the givens travel: z is x + 1
    copy(np.ones(3))
    np.testing.assert_array_equal(copy.shared_vars[0].get_value(), np.full(3, 2.0))
    np.testing.assert_array_equal(acc.get_value(), np.zeros(3))  # the original's own value


def test_dropped_size_one_dim_is_contracted_by_dask():
    c, v = T.dcol("c"), T.dvector("v")  # c's second dim is statically 1
    fn = tensordsl.function([c, v], [c.dimshuffle(0) * 2 + v, T.sum(c.dimshuffle(0) * v)])
    cn, vn = np.random.default_rng(11).random((10, 1)), np.random.default_rng(12).random(10)
    with dask.config.set(scheduler="sync"):
        got = dask.compute(*fn(da.from_array(cn, chunks=(3, 1)), da.from_array(vn, chunks=4)))
    close(got[0], cn[:, 0] * 2 + vn, 1e-15)
    close(got[1], np.sum(cn[:, 0] * vn), 1e-12)


def test_benchmark_script_smoke_run():
    """tools/bench_dask.py runs (tiny sizes, without numba) and its variants agree."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, os.path.join(root, "tools", "bench_dask.py"),
                          "--n", "40000", "--chunk", "10000", "--repeat", "1",
                          "--variants", "tensordsl,numpy"],
                         capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    rows = [line.split("|") for line in out.stdout.splitlines()
            if line.startswith("| tensordsl") or line.startswith("| numpy")]
    assert len(rows) == 2
    assert all(float(row[-2]) < 1e-12 for row in rows)  # relative difference of sum(call)


def test_threaded_scheduler_shares_kernels_between_threads():
    """dask's default local scheduler runs blocks in threads, through one compiled
    Function per kernel."""
    xn = np.random.default_rng(13).random((60_000, 4))
    yn = np.random.default_rng(14).random(4)
    with dask.config.set(scheduler="threads", num_workers=4):
        got = affine(da.from_array(xn, chunks=(1_000, 2)), yn, 0.25).compute()
    close(got, np.tanh(xn * yn + 0.25) - xn, RTOL["float64"], atol=1e-15)  # cancellation
