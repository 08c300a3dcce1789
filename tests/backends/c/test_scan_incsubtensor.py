"""Inc/SetSubtensor in the C backend's compiled scan loop (scan_graph.IncNode): a step that
updates part of a value runs in the one foreign call, equal to the reference backend; an
LSTM's gradient (the gate slices' gradients are IncSubtensors into zeros) compiles whole
and agrees with the reference and finite differences."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tensordsl.backends.c.scan_loop import ScanLoopRunner
from tensordsl.gradient import verify_grad
from tensordsl.scan import scan

TOL = {"float32": dict(rtol=3e-4, atol=3e-5), "float64": dict(rtol=1e-9, atol=1e-11)}


def runners(fn: tensordsl.Function) -> list[ScanLoopRunner]:
    """The compiled scan loops of a compiled function's schedule."""
    return [s.runner for s in fn.thunk.steps if isinstance(s.runner, ScanLoopRunner)]


def counts(fn: tensordsl.Function) -> list[tuple[int, int]]:
    return [(r.foreign_calls, r.python_loops) for r in runners(fn)]


# -- drawn updates ---------------------------------------------------------------------------
BOUNDS = st.one_of(st.none(), st.integers(-6, 6))


@st.composite
def indices(draw: st.DrawFn) -> tuple:
    """A basic index of a 2-d value: (slice, slice), (int, slice) or (slice, int); a slice
    as its (start, stop, step) (slices are not hashable: the compiled functions are cached
    by index)."""
    def one_slice() -> tuple:
        return (draw(BOUNDS), draw(BOUNDS), draw(st.sampled_from([None, 1, 2, -1, -2])))

    kind = draw(st.sampled_from(["ss", "is", "si"]))
    first = draw(st.integers(-2, 1)) if kind == "is" else one_slice()
    second = draw(st.integers(-2, 1)) if kind == "si" else one_slice()
    return (first, second)


@functools.cache
def updating_scan(dtype: str, index: tuple, set_: bool, base: str, broadcast: bool) -> tuple:
    """(compiled, reference) of a scan whose new state is `h` (or a kernel's result, which
    the update may change in its own buffer) with h[index] incremented or set."""
    x, h0 = T.tensor3("x", dtype), T.matrix("h0", dtype)
    index = tuple(slice(*i) if isinstance(i, tuple) else i for i in index)

    def step(xt: T.TensorVariable, h: T.TensorVariable) -> list:
        target = h if base == "state" else T.tanh(h) * 0.5 + xt
        value = T.sin(xt[index])
        if broadcast and value.ndim == 2:
            value = value[:1]  # one row, broadcast over the indexed rows
        update = T.set_subtensor if set_ else T.inc_subtensor
        new = update(target[index], value)
        return [new, new[::-1] * 2]

    (hs, ys), _ = scan(step, sequences=[x], outputs_info=[h0, None])
    inputs = [x, h0]
    return (tensordsl.function(inputs, [hs, ys], mode="FAST_RUN"),
            tensordsl.function(inputs, [hs, ys], mode="FAST_COMPILE"))


@settings(max_examples=50, deadline=None)
@given(index=indices(), set_=st.booleans(), base=st.sampled_from(["state", "kernel"]),
       broadcast=st.booleans(), steps=st.sampled_from([0, 1, 2, 5]),
       rows=st.integers(2, 5), cols=st.integers(2, 6),
       dtype=st.sampled_from(["float32", "float64"]), seed=st.integers(0, 99))
def test_update_in_the_loop_equals_reference(index: tuple, set_: bool, base: str,
                                             broadcast: bool, steps: int, rows: int, cols: int,
                                             dtype: str, seed: int) -> None:
    fast, ref = updating_scan(dtype, index, set_, base, broadcast)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((steps, rows, cols)).astype(dtype)
    h0 = rng.standard_normal((rows, cols)).astype(dtype)
    (before,) = counts(fast)
    got, want = fast(x, h0), ref(x, h0)
    for g, w in zip(got, want):
        assert g.shape == w.shape and g.dtype == w.dtype
        np.testing.assert_allclose(g, w, **TOL[dtype])
    assert counts(fast) == [(before[0] + (steps > 0), before[1])]  # one C call, no Python loop


def test_out_of_range_index_raises_index_error() -> None:
    x, h0 = T.tensor3("x"), T.matrix("h0")
    hs, _ = scan(lambda xt, h: T.inc_subtensor(h[3], xt[0]), sequences=[x], outputs_info=[h0])
    fast = tensordsl.function([x, h0], hs, mode="FAST_RUN")
    assert len(runners(fast)) == 1
    with pytest.raises(IndexError, match="h"):
        fast(np.zeros((2, 2, 3)), np.zeros((2, 3)))


def test_value_that_does_not_fit_raises_value_error() -> None:
    x, h0 = T.tensor3("x"), T.matrix("h0")
    hs, _ = scan(lambda xt, h: T.set_subtensor(h[:, :2], xt), sequences=[x], outputs_info=[h0])
    fast = tensordsl.function([x, h0], hs, mode="FAST_RUN")
    with pytest.raises(ValueError, match="broadcast"):
        fast(np.zeros((2, 2, 3)), np.zeros((2, 3)))


# -- an LSTM's gradient ----------------------------------------------------------------------
def lstm_step(xt: T.TensorVariable, h: T.TensorVariable, c: T.TensorVariable,
              Wx: T.TensorVariable, Wh: T.TensorVariable, b: T.TensorVariable,  # noqa: N803
              hid: int) -> list:
    z = T.dot(xt, Wx) + T.dot(h, Wh) + b
    i, f = T.sigmoid(z[:, :hid]), T.sigmoid(z[:, hid:2 * hid])
    g, o = T.tanh(z[:, 2 * hid:3 * hid]), T.sigmoid(z[:, 3 * hid:])
    c = f * c + i * g
    return [o * T.tanh(c), c]


def lstm_loss(x: T.TensorVariable, h0: T.TensorVariable, c0: T.TensorVariable,
              Wx: T.TensorVariable, Wh: T.TensorVariable, b: T.TensorVariable,  # noqa: N803
              hid: int) -> T.TensorVariable:
    (hs, _), _ = scan(lambda xt, h, c, Wx, Wh, b: lstm_step(xt, h, c, Wx, Wh, b, hid),  # noqa: N803
                      sequences=[x], outputs_info=[h0, c0], non_sequences=[Wx, Wh, b])
    return T.mean(hs ** 2)


def lstm_values(rng: np.random.Generator, steps: int, batch: int, hid: int, n_in: int,
                dtype: str) -> list[np.ndarray]:
    return [rng.standard_normal((steps, batch, n_in)).astype(dtype),
            rng.standard_normal((batch, hid)).astype(dtype) * 0.5,
            rng.standard_normal((batch, hid)).astype(dtype) * 0.5,
            (rng.standard_normal((n_in, 4 * hid)) / np.sqrt(n_in)).astype(dtype),
            (rng.standard_normal((hid, 4 * hid)) / np.sqrt(hid)).astype(dtype),
            rng.standard_normal(4 * hid).astype(dtype) * 0.1]


@functools.cache
def lstm_grad(dtype: str, hid: int) -> tuple:
    x, h0, c0 = T.tensor3("x", dtype), T.matrix("h0", dtype), T.matrix("c0", dtype)
    Wx, Wh, b = T.matrix("Wx", dtype), T.matrix("Wh", dtype), T.vector("b", dtype)  # noqa: N806
    loss = lstm_loss(x, h0, c0, Wx, Wh, b, hid)
    outs = [loss, *tensordsl.grad(loss, [Wx, Wh, b, x, h0, c0])]
    inputs = [x, h0, c0, Wx, Wh, b]
    return (tensordsl.function(inputs, outs, mode="FAST_RUN"),
            tensordsl.function(inputs, outs, mode="FAST_COMPILE"))


@settings(max_examples=15, deadline=None)
@given(steps=st.sampled_from([0, 1, 2, 6]), batch=st.integers(1, 4), n_in=st.integers(1, 5),
       dtype=st.sampled_from(["float32", "float64"]), seed=st.integers(0, 99))
def test_lstm_gradient_is_one_foreign_call(steps: int, batch: int, n_in: int, dtype: str,
                                           seed: int) -> None:
    hid = 3
    fast, ref = lstm_grad(dtype, hid)
    loops = runners(fast)
    assert len(loops) == 2  # the forward loop and the gradient's loop both compiled
    assert any("grad_of_scan" in r.who for r in loops)
    before = counts(fast)
    values = lstm_values(np.random.default_rng(seed), steps, batch, hid, n_in, dtype)
    for g, w in zip(fast(*values), ref(*values)):
        assert np.shape(g) == np.shape(w)
        np.testing.assert_allclose(g, w, **TOL[dtype])
    assert counts(fast) == [(c + (steps > 0), p) for c, p in before]


def test_lstm_gradient_matches_finite_differences() -> None:
    hid, rng = 2, np.random.default_rng(7)
    x, h0, c0, Wx, Wh, b = lstm_values(rng, 4, 3, hid, 3, "float64")  # noqa: N806
    verify_grad(lambda Wx, Wh, b: lstm_loss(T.constant(x), T.constant(h0), T.constant(c0),  # noqa: N803
                                            Wx, Wh, b, hid),
                [Wx, Wh, b], rng=rng, mode="FAST_RUN")
