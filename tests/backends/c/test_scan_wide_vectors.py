"""The compiled scan loop's step kernels prefer 512-bit vectors (scan_codegen.wide_vectors):
the unit places every kernel function inside the pragma region, and the loop's results
stay equal to the reference backend within the accuracy contract (sigmoid and tanh come
from libmvec's AVX-512 variants where the CPU has them: ulp bounds, never bit equality),
on any length (0, 1, 3 steps; rows that are not a multiple of a vector) in one foreign
call per execution."""

from __future__ import annotations

import functools
import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tensordsl.accuracy import ulp_bound, within_ulps
from tensordsl.backends.c.scan_codegen import wide_vectors
from tensordsl.backends.c.scan_loop import ScanLoopRunner
from tensordsl.scan import scan

# an LSTM recurrence through float32 sigmoid/tanh and BLAS products of another build
# differs from numpy's in the last bits of every step (as in test_scan_loop.py)
TOL = {"float32": dict(rtol=2e-4, atol=2e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


def runners(fn: tensordsl.Function) -> list[ScanLoopRunner]:
    """The compiled scan loops of a compiled function's schedule."""
    return [s.runner for s in fn.thunk.steps if isinstance(s.runner, ScanLoopRunner)]


def lstm_step(xt: T.TensorVariable, h: T.TensorVariable, c: T.TensorVariable,
              Wx: T.TensorVariable, Wh: T.TensorVariable, b: T.TensorVariable,  # noqa: N803
              hid: int) -> tuple:
    z = T.dot(xt, Wx) + T.dot(h, Wh) + b
    i, f = T.sigmoid(z[:, :hid]), T.sigmoid(z[:, hid:2 * hid])
    g, o = T.tanh(z[:, 2 * hid:3 * hid]), T.sigmoid(z[:, 3 * hid:])
    c = f * c + i * g
    return o * T.tanh(c), c


@functools.cache
def lstm(dtype: str, hid: int) -> tuple:
    """(compiled FAST_RUN, reference FAST_COMPILE) of every h and c of an LSTM of `hid`
    units (the gate slices are constants, as in a model)."""
    x, h0, c0 = T.tensor3("x", dtype), T.matrix("h0", dtype), T.matrix("c0", dtype)
    Wx, Wh, b = T.matrix("Wx", dtype), T.matrix("Wh", dtype), T.vector("b", dtype)  # noqa: N806
    (hs, cs), _ = scan(lambda xt, h, c, Wx, Wh, b: lstm_step(xt, h, c, Wx, Wh, b, hid),
                       sequences=[x], outputs_info=[h0, c0], non_sequences=[Wx, Wh, b])
    ins = [x, h0, c0, Wx, Wh, b]
    return (tensordsl.function(ins, [hs, cs], mode="FAST_RUN"),
            tensordsl.function(ins, [hs, cs], mode="FAST_COMPILE"))


@settings(max_examples=40, deadline=None)
@given(steps=st.sampled_from([0, 1, 3, 5]), batch=st.integers(1, 5),
       hidden=st.sampled_from([1, 7, 17]), n_in=st.integers(1, 6),
       dtype=st.sampled_from(["float32", "float64"]), seed=st.integers(0, 99))
def test_lstm_equals_reference(steps: int, batch: int, hidden: int, n_in: int, dtype: str,
                               seed: int) -> None:
    rng = np.random.default_rng(seed)
    scale = 1 / np.sqrt(hidden)
    values = [rng.standard_normal((steps, batch, n_in)).astype(dtype),
              rng.standard_normal((batch, hidden)).astype(dtype),
              rng.standard_normal((batch, hidden)).astype(dtype),
              (rng.standard_normal((n_in, 4 * hidden)) * scale).astype(dtype),
              (rng.standard_normal((hidden, 4 * hidden)) * scale).astype(dtype),
              (0.1 * rng.standard_normal(4 * hidden)).astype(dtype)]
    before = [v.copy() for v in values]
    fast, ref = lstm(dtype, hidden)
    (runner,) = runners(fast)
    calls, loops = runner.foreign_calls, runner.python_loops
    got, want = fast(*values), ref(*values)
    for g, w in zip(got, want):
        assert g.shape == w.shape == (steps, batch, hidden) and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, **TOL[dtype])
    assert runner.foreign_calls == calls + (1 if steps > 0 else 0)
    assert runner.python_loops == loops
    for v, b in zip(values, before):  # nothing the caller owns is written
        np.testing.assert_array_equal(v, b)


@functools.cache
def gates(dtype: str) -> tensordsl.Function:
    """Per-step outputs sigmoid(x_t) and tanh(x_t): one application of each inexact op."""
    x = T.matrix("x", dtype)
    (s, t), _ = scan(lambda xt: (T.sigmoid(xt), T.tanh(xt)), sequences=[x])
    return tensordsl.function([x], [s, t], mode="FAST_RUN")


@settings(max_examples=40, deadline=None)
@given(steps=st.sampled_from([0, 1, 3]), width=st.sampled_from([1, 7, 15, 16, 17, 33, 64]),
       dtype=st.sampled_from(["float32", "float64"]), seed=st.integers(0, 99))
def test_gate_functions_within_ulp_bounds(steps: int, width: int, dtype: str,
                                          seed: int) -> None:
    """Widths around one AVX-512 vector (16 floats, 8 doubles) exercise the vector body
    and the remainder; each element is within the documented bound of numpy's value."""
    x = (8 * np.random.default_rng(seed).standard_normal((steps, width))).astype(dtype)
    fn = gates(dtype)
    (runner,) = runners(fn)
    calls = runner.foreign_calls
    s, t = fn(x)
    want_s = (1 / (1 + np.exp(-x.astype("float64")))).astype(dtype)
    assert s.dtype == t.dtype == np.dtype(dtype) and s.shape == t.shape == x.shape
    # sigmoid against the float64 value rounded: the bound plus the rounding's half ulp
    assert within_ulps(s, want_s, ulp_bound("sigmoid") + 1).all()
    assert within_ulps(t, np.tanh(x), ulp_bound("tanh")).all()
    assert runner.foreign_calls == calls + (1 if steps > 0 else 0)


def test_every_kernel_function_is_inside_the_wide_vector_region() -> None:
    fast, _ = lstm("float32", 16)
    (runner,) = runners(fast)
    source = runner.source
    start = source.index('#pragma GCC target("prefer-vector-width=512")')
    depth = 1  # find its pop_options: the cold code inside pushes and pops its own
    for mark in re.finditer(r"#pragma GCC (push|pop)_options", source[start:]):
        depth += 1 if mark.group(1) == "push" else -1
        if depth == 0:
            end = start + mark.start()
            break
    kernels = [m.start() for m in re.finditer(r"^void td_k\d+\(", source, re.M)]
    assert kernels, "the LSTM step has elementwise kernels"
    assert all(start < k < end for k in kernels)
    assert source.index(f"long long {runner.entry}(") > end  # the loop itself stays outside


def test_wide_vectors_wraps_or_leaves_nothing() -> None:
    assert wide_vectors([]) == []
    wrapped = wide_vectors(["static void f(void) {}"])
    assert wrapped[0] == "#pragma GCC push_options" and wrapped[-1] == "#pragma GCC pop_options"
    assert wrapped[2] == "static void f(void) {}"
