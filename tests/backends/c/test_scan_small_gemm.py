"""The generated small-GEMM kernel of the compiled scan loop (backends/c/small_gemm.py):
step products by a loop-invariant matrix (a non-sequence, or a view of one) whose shapes
pass the measured rule run through it, B packed once per loop. Compiled results equal
the reference backend (numpy) for lengths 0, 1 and more, row counts that are not a
multiple of the register block, column counts that are not a multiple of the panel
width, a transposed or strided B, Gemm's alpha/beta/c, float32 and float64; the loop
still makes one foreign call; the rule keeps tiny and large products with ?gemm."""

from __future__ import annotations

import functools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tensordsl.backends.c import small_gemm
from tensordsl.backends.c.scan_graph import GemmNode
from tensordsl.backends.c.scan_loop import ScanLoopRunner
from tensordsl.scan import scan

TOL = {"float32": dict(rtol=2e-4, atol=2e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


def runners(fn: tensordsl.Function) -> list[ScanLoopRunner]:
    return [s.runner for s in fn.thunk.steps if isinstance(s.runner, ScanLoopRunner)]


def small_products_run(runner: ScanLoopRunner) -> int:
    """How many of the step's products the last plans send to the small kernel."""
    packable = [n for n in runner.step.nodes if isinstance(n, GemmNode) and n.pack_at >= 0]
    return max((sum(int(plan.meta[n.pack_at]) for n in packable)
                for plan in runner.plans.values() if hasattr(plan, "meta")), default=0)


def step(xt: T.TensorVariable, h: T.TensorVariable, W: T.TensorVariable,  # noqa: N803
         V: T.TensorVariable, c: T.TensorVariable) -> list:  # noqa: N803
    """h' = tanh(x_t @ W + 0.5 * h @ V.T + c) (V.T a view of a non-sequence: packed
    from its strides), and a per-step output x_t @ W alone."""
    xw = T.dot(xt, W)
    return [T.tanh(xw + T.dot(h, V.T) * 0.5 + c), xw]


@functools.cache
def loop(dtype: str) -> tuple:
    x, h0 = T.tensor3("x", dtype), T.matrix("h0", dtype)
    W, V, c = T.matrix("W", dtype), T.matrix("V", dtype), T.vector("c", dtype)  # noqa: N806
    n = T.iscalar("n")
    (hs, xws), _ = scan(step, sequences=[x], outputs_info=[h0, None], non_sequences=[W, V, c],
                        n_steps=n)
    inputs, outs = [x, h0, W, V, c, n], [hs, xws]
    return (tensordsl.function(inputs, outs, mode="FAST_RUN"),
            tensordsl.function(inputs, outs, mode="FAST_COMPILE"))


@settings(max_examples=30, deadline=None)
@given(steps=st.sampled_from([0, 1, 3]), batch=st.sampled_from([8, 13, 33]),
       n_in=st.sampled_from([96, 101]), hidden=st.sampled_from([330, 352, 361]),
       dtype=st.sampled_from(["float32", "float64"]), layout=st.sampled_from(["c", "f", "s"]),
       seed=st.integers(0, 99))
def test_equals_reference(steps: int, batch: int, n_in: int, hidden: int, dtype: str,
                          layout: str, seed: int) -> None:
    fast, ref = loop(dtype)
    rng = np.random.default_rng(seed)
    W = (rng.standard_normal((n_in, hidden)) / np.sqrt(n_in)).astype(dtype)  # noqa: N806
    V = (rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)).astype(dtype)  # noqa: N806
    if layout == "f":  # column-major B
        W, V = np.asfortranarray(W), np.asfortranarray(V)  # noqa: N806
    elif layout == "s":  # every other column of a wider array
        W = np.repeat(W, 2, axis=1)[:, ::2]  # noqa: N806
    values = [rng.standard_normal((steps, batch, n_in)).astype(dtype),
              rng.standard_normal((batch, hidden)).astype(dtype), W, V,
              rng.standard_normal(hidden).astype(dtype), np.int32(steps)]
    (runner,) = runners(fast)
    calls = runner.foreign_calls
    got, want = fast(*values), ref(*values)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, **TOL[dtype])
    assert runner.foreign_calls == calls + (1 if steps else 0)
    assert runner.python_loops == 0
    if steps:  # both products pass the rule
        assert small_products_run(runner) == 2


def test_tiny_products_keep_blas() -> None:
    fast, ref = loop("float64")
    rng = np.random.default_rng(0)
    values = [rng.standard_normal((4, 3, 5)), rng.standard_normal((3, 6)),
              rng.standard_normal((5, 6)), rng.standard_normal((6, 6)) / 3,
              rng.standard_normal(6), np.int32(4)]
    (runner,) = runners(fast)
    runner.plans.clear()
    for g, w in zip(fast(*values), ref(*values)):
        np.testing.assert_allclose(g, w, **TOL["float64"])
    assert small_products_run(runner) == 0


def test_rule() -> None:
    assert small_gemm.use_small(32, 128, 512, "float32")  # an LSTM step's h @ Wh
    assert small_gemm.use_small(32, 512, 128, "float32")  # its gradient's dz @ Wh.T
    assert not small_gemm.use_small(16, 64, 64, "float32")  # OpenBLAS's small kernels win
    assert not small_gemm.use_small(4, 128, 512, "float32")  # fewer rows than a block
    assert not small_gemm.use_small(128, 128, 512, "float32")  # many rows: BLAS
    assert not small_gemm.use_small(32, 1024, 1024, "float32")  # packed B past L2
    assert not small_gemm.use_small(0, 128, 512, "float64")
    assert small_gemm.packed_bytes(128, 500, "float32") == 128 * 512 * 4
    assert small_gemm.packed_bytes(128, 500, "float64") == 128 * 512 * 8


def fresh_loop(dtype: str) -> tuple:
    """`loop` compiled anew (its runner plans again under a patched rule)."""
    return loop.__wrapped__(dtype)


@settings(max_examples=30, deadline=None)
@given(steps=st.sampled_from([0, 1, 2]), batch=st.integers(1, 10), n_in=st.integers(1, 9),
       hidden=st.integers(1, 40), dtype=st.sampled_from(["float32", "float64"]),
       seed=st.integers(0, 99))
def test_kernel_on_any_shape(steps: int, batch: int, n_in: int, hidden: int, dtype: str,
                             seed: int) -> None:
    """With the rule forced on, the kernel itself is right on size-1 dims, short blocks
    (rows < 8, columns < a panel) and every remainder."""
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal((steps, batch, n_in)).astype(dtype),
              rng.standard_normal((batch, hidden)).astype(dtype),
              rng.standard_normal((n_in, hidden)).astype(dtype),
              (rng.standard_normal((hidden, hidden)) / np.sqrt(hidden)).astype(dtype),
              rng.standard_normal(hidden).astype(dtype), np.int32(steps)]
    original = small_gemm.use_small
    small_gemm.use_small = lambda m, k, n, dt: m > 0
    try:
        fast, ref = fresh_loop(dtype)
        got = fast(*values)
        (runner,) = runners(fast)
        forced = small_products_run(runner)
    finally:
        small_gemm.use_small = original
    for g, w in zip(got, ref(*values)):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, **TOL[dtype])
    assert forced == (2 if steps else 0)
