"""The C backend's compiled scan loop (backends/c/scan_loop.py): the whole loop in one
foreign call, equal to the reference backend within the accuracy contract (tanh is a
transcendental: dtype tolerances, never bit equality), gradients against finite
differences, and the loops it does not compile still right through the Python loop."""

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
from tensordsl.ifelse import ifelse
from tensordsl.scan import scan, until

# float32 results of a recurrence through tanh and BLAS products of another build differ
# from numpy's in the last bits of every step; these bounds hold with a wide margin
TOL = {"float32": dict(rtol=2e-4, atol=2e-5), "float64": dict(rtol=1e-10, atol=1e-12)}


def runners(fn: tensordsl.Function) -> list[ScanLoopRunner]:
    """The compiled scan loops of a compiled function's schedule."""
    return [s.runner for s in fn.thunk.steps if isinstance(s.runner, ScanLoopRunner)]


def both(inputs: list, outputs: object, **kw: object) -> tuple:
    """(C backend FAST_RUN, reference FAST_COMPILE) functions of the same graph."""
    return (tensordsl.function(inputs, outputs, mode="FAST_RUN", **kw),
            tensordsl.function(inputs, outputs, mode="FAST_COMPILE", **kw))


def assert_close(got: object, want: object, dtype: str) -> None:
    got = got if isinstance(got, list) else [got]
    want = want if isinstance(want, list) else [want]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert np.asarray(g).shape == np.asarray(w).shape
        assert np.asarray(g).dtype == np.asarray(w).dtype
        np.testing.assert_allclose(g, w, **TOL[dtype])


def rnn_step(xt: T.TensorVariable, h: T.TensorVariable, W: T.TensorVariable,  # noqa: N803
             U: T.TensorVariable) -> T.TensorVariable:
    return T.tanh(T.dot(h, W) + T.dot(xt, U))


@functools.cache
def rnn(dtype: str) -> tuple:
    """(compiled, reference) of all states of an RNN with n_steps given explicitly."""
    x, h0 = T.tensor3("x", dtype), T.matrix("h0", dtype)
    W, U, n = T.matrix("W", dtype), T.matrix("U", dtype), T.iscalar("n")  # noqa: N806
    hs, _ = scan(rnn_step, sequences=[x], outputs_info=[h0], non_sequences=[W, U], n_steps=n)
    return both([x, h0, W, U, n], hs)


def rnn_values(rng: np.random.Generator, steps: int, batch: int, hidden: int, n_in: int,
               dtype: str, layout: str) -> list[np.ndarray]:
    """RNN inputs; `layout` makes x a non-contiguous view (every other step, or the
    batch and feature dims swapped)."""
    if layout == "strided":
        x = rng.standard_normal((2 * steps + 1, batch, n_in)).astype(dtype)[::2]
    elif layout == "swapped":
        x = rng.standard_normal((steps, n_in, batch)).astype(dtype).swapaxes(1, 2)
    else:
        x = rng.standard_normal((steps, batch, n_in)).astype(dtype)
    scale = 1 / np.sqrt(max(hidden, 1))
    return [x, rng.standard_normal((batch, hidden)).astype(dtype),
            (rng.standard_normal((hidden, hidden)) * scale).astype(dtype),
            (rng.standard_normal((n_in, hidden)) * scale).astype(dtype)]


@settings(max_examples=40, deadline=None)
@given(steps=st.sampled_from([0, 1, 2, 3, 7, 40]), batch=st.integers(0, 5),
       hidden=st.integers(1, 9), n_in=st.integers(1, 6),
       dtype=st.sampled_from(["float32", "float64"]),
       layout=st.sampled_from(["contiguous", "strided", "swapped"]), seed=st.integers(0, 99))
def test_rnn_equals_reference(steps: int, batch: int, hidden: int, n_in: int, dtype: str,
                              layout: str, seed: int) -> None:
    fast, ref = rnn(dtype)
    values = rnn_values(np.random.default_rng(seed), steps, batch, hidden, n_in, dtype, layout)
    before = [v.copy() for v in values]
    (runner,) = runners(fast)
    calls, loops = runner.foreign_calls, runner.python_loops
    assert_close(fast(*values, steps), ref(*values, steps), dtype)
    assert runner.foreign_calls == calls + (1 if steps > 0 else 0)
    assert runner.python_loops == loops
    for v, b in zip(values, before):  # nothing the caller owns is written
        np.testing.assert_array_equal(v, b)


def test_one_foreign_call_per_execution() -> None:
    fast, _ = rnn("float32")
    (runner,) = runners(fast)
    made = []
    entry = runner.fn

    def counting(*args: object) -> None:
        made.append(args[0])
        entry(*args)

    runner.fn = counting
    loops = runner.python_loops
    try:
        values = rnn_values(np.random.default_rng(0), 25, 3, 4, 2, "float32", "contiguous")
        fast(*values, 25)
        fast(*values, 17)
    finally:
        runner.fn = entry
    assert made == [25, 17]  # one call each, told the number of steps
    assert runner.python_loops == loops


def test_taps_several_outputs_and_per_step_outputs() -> None:
    """Sequence taps [-1, 0], a state with taps [-2, -1], a per-step (nit) output."""
    x, init = T.dvector("x"), T.dvector("init")

    def step(prev, cur, a, b):
        return [a + b * cur - prev, T.exp(-T.abs(a)) * cur]

    (fib, side), _ = scan(step, sequences=dict(input=x, taps=[-1, 0]),
                          outputs_info=[dict(initial=init, taps=[-2, -1]), None])
    fast, ref = both([x, init], [fib, side])
    assert len(runners(fast)) == 1
    rng = np.random.default_rng(3)
    for steps in (2, 3, 12):
        xs, i0 = rng.standard_normal(steps) * 0.3, rng.standard_normal(2)
        assert_close(fast(xs, i0), ref(xs, i0), "float64")


def test_state_with_matrix_product_and_bias_gemm() -> None:
    """h = relu(h @ W + b) with b broadcast (a Gemm whose c broadcasts) in float32."""
    h0, W, b = T.fmatrix("h0"), T.fmatrix("W"), T.frow("b")  # noqa: N806
    hs, _ = scan(lambda h, W, b: T.maximum(T.dot(h, W) + b, 0.0), outputs_info=[h0],  # noqa: N803
                 non_sequences=[W, b], n_steps=9)
    fast, ref = both([h0, W, b], hs)
    assert len(runners(fast)) == 1
    rng = np.random.default_rng(5)
    values = [rng.standard_normal((4, 6)).astype("float32"),
              (rng.standard_normal((6, 6)) * 0.4).astype("float32"),
              rng.standard_normal((1, 6)).astype("float32")]
    assert_close(fast(*values), ref(*values), "float32")
    transposed = [values[0], np.asfortranarray(values[1]), values[2]]  # BLAS mode 'T'
    assert_close(fast(*transposed), ref(*values), "float32")


@settings(max_examples=30, deadline=None)
@given(rows=st.integers(1, 5), cols=st.integers(1, 5),
       view=st.sampled_from(["plain", "fortran", "reversed", "every_other", "transposed"]),
       dtype=st.sampled_from(["float32", "float64"]), seed=st.integers(0, 99))
def test_products_of_any_operand_layout(rows: int, cols: int, view: str, dtype: str,
                                        seed: int) -> None:
    """Matrix products read operands whose rows or columns are contiguous directly (BLAS
    transposes the latter) and copy the others (reversed, strided) first."""
    fast, ref = products(dtype)
    rng = np.random.default_rng(seed)
    h0 = rng.standard_normal((rows, cols)).astype(dtype)
    base = rng.standard_normal((2 * cols, 2 * cols)).astype(dtype) / cols
    w = {"plain": base[:cols, :cols].copy(), "fortran": np.asfortranarray(base[:cols, :cols]),
         "reversed": base[:cols, :cols][::-1, ::-1], "every_other": base[::2, ::2],
         "transposed": base[:cols, :cols].T}[view]
    before = w.copy()
    assert_close(fast(h0, w), ref(h0, w), dtype)
    np.testing.assert_array_equal(w, before)
    assert runners(fast)[0].python_loops == 0


@functools.cache
def products(dtype: str) -> tuple:
    h0, W = T.matrix("h0", dtype), T.matrix("W", dtype)  # noqa: N806
    hs, _ = scan(lambda h, W: T.tanh(T.dot(h, W)) + T.dot(W[:1], W)[0], outputs_info=[h0],  # noqa: N803
                 non_sequences=[W], n_steps=4)
    return both([h0, W], hs)


@pytest.mark.parametrize("dtype", ["float64"])
def test_rnn_gradient_against_finite_differences(dtype: str) -> None:
    rng = np.random.default_rng(7)
    x, h0, W, U = rnn_values(rng, 6, 3, 4, 2, dtype, "strided")  # noqa: N806

    def loss(W, U):  # noqa: N803
        hs, _ = scan(rnn_step, sequences=[T.constant(x)], outputs_info=[T.constant(h0)],
                     non_sequences=[W, U])
        return T.sum(hs * hs) + T.mean(hs[-1])

    verify_grad(loss, [W, U], mode="FAST_RUN")


def test_bptt_scan_is_compiled_and_matches_reference() -> None:
    x, h0 = T.tensor3("x", "float32"), T.fmatrix("h0")
    W, U = T.fmatrix("W"), T.fmatrix("U")  # noqa: N806
    hs, _ = scan(rnn_step, sequences=[x], outputs_info=[h0], non_sequences=[W, U])
    cost = T.mean(hs)
    fast, ref = both([x, h0, W, U], [cost, *tensordsl.grad(cost, [W, U])])
    compiled = runners(fast)
    assert len(compiled) == 2  # the forward loop and the gradient's loop
    values = rnn_values(np.random.default_rng(11), 30, 4, 8, 8, "float32", "contiguous")
    assert_close(fast(*values), ref(*values), "float32")
    assert [r.foreign_calls for r in compiled] == [1, 1]
    assert [r.python_loops for r in compiled] == [0, 0]


def test_sum_to_shape_that_sums_takes_the_python_loop() -> None:
    """A bias given as a (1, n) matrix of unknown broadcast: its gradient sums per step,
    which the compiled loop leaves to the Python loop (for that call only)."""
    x, h0, W, b = T.tensor3("x"), T.dmatrix("h0"), T.dmatrix("W"), T.dmatrix("b")  # noqa: N806
    hs, _ = scan(lambda xt, h, W, b: T.tanh(T.dot(h, W) + xt + b), sequences=[x],  # noqa: N803
                 outputs_info=[h0], non_sequences=[W, b])
    cost = T.sum(hs)
    fast, ref = both([x, h0, W, b], [cost, *tensordsl.grad(cost, [W, b])])
    rng = np.random.default_rng(2)
    values = [rng.standard_normal((5, 3, 4)), rng.standard_normal((3, 4)),
              rng.standard_normal((4, 4)) * 0.3, rng.standard_normal((1, 4))]
    assert_close(fast(*values), ref(*values), "float64")
    assert sum(r.python_loops for r in runners(fast)) >= 1
    full_b = np.repeat(values[3], 3, axis=0)  # same shapes everywhere: compiled throughout
    loops = sum(r.python_loops for r in runners(fast))
    assert_close(fast(*values[:3], full_b), ref(*values[:3], full_b), "float64")
    assert sum(r.python_loops for r in runners(fast)) == loops


def _host_scans(fn: tensordsl.Function) -> int:
    return sum(1 for s in fn.thunk.steps if "Scan" in type(s.node.op).__name__
               and not s.compiled)


def test_ifelse_in_the_step_takes_the_python_loop() -> None:
    """A step the compiled loop does not take (an ifelse in it) runs the Python loop
    and gives the reference's values."""
    x, h0 = T.dvector("x"), T.dscalar("h0")
    branch, _ = scan(lambda v, acc: ifelse(T.gt(v, 0), acc + v, acc * 0.5), sequences=x,
                     outputs_info=h0)
    fast, ref = both([x, h0], branch)
    assert not runners(fast)
    assert _host_scans(fast) == 1
    xs, start = np.array([0.5, -1.0, 2.0, 0.25, 1.5]), np.float64(0.1)
    assert_close(fast(xs, start), ref(xs, start), "float64")


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.floats(-2, 3), min_size=0, max_size=12), limit=st.floats(-1, 6),
       dtype=st.sampled_from(["float32", "float64"]))
def test_until_stops_the_compiled_loop(values: list[float], limit: float, dtype: str) -> None:
    """An `until` condition ends the loop after the step computing it true: the outputs
    keep the rows of the steps run, and the gradient follows those steps."""
    fast, ref = until_loop(dtype)
    xs, start = np.asarray(values, dtype), np.asarray(0.25, dtype)
    bound = np.asarray(limit, dtype)
    (runner,) = [r for r in runners(fast) if r.op.as_while]
    calls = runner.foreign_calls
    assert_close(fast(xs, start, bound), ref(xs, start, bound), dtype)
    assert runner.foreign_calls == calls + (1 if values else 0)


@functools.cache
def until_loop(dtype: str) -> tuple:
    x, h0, limit = T.vector("x", dtype), T.scalar("h0", dtype), T.scalar("limit", dtype)
    (acc, seen), _ = scan(lambda v, a, m: ([a + v * v, T.tanh(a) * v], until(a + v * v > m)),
                          sequences=x, outputs_info=[h0, None], non_sequences=limit)
    return both([x, h0, limit], [acc, seen, tensordsl.grad(T.sum(acc) + T.sum(seen), x)])


def test_truncated_gradient_loops_are_compiled() -> None:
    """truncate_gradient only shapes the gradient's graph: both loops compile."""
    x, h0 = T.dvector("x"), T.dscalar("h0")
    truncated, _ = scan(lambda v, acc: T.tanh(acc * v + v), sequences=x, outputs_info=h0,
                        truncate_gradient=2)
    cost = T.sum(truncated)
    fast, ref = both([x, h0], [truncated, *tensordsl.grad(cost, [x, h0])])
    assert len(runners(fast)) == 2 and _host_scans(fast) == 0
    xs, start = np.array([0.5, -1.0, 2.0, 0.25, 1.5]), np.float64(0.1)
    assert_close(fast(xs, start), ref(xs, start), "float64")


def test_state_changing_shape_is_a_clear_error() -> None:
    h0, W = T.dmatrix("h0"), T.dmatrix("W")  # noqa: N806
    hs, _ = scan(lambda h, W: T.dot(h, W), outputs_info=[h0], non_sequences=[W],  # noqa: N803
                 n_steps=3)
    fast = tensordsl.function([h0, W], hs, mode="FAST_RUN")
    assert len(runners(fast)) == 1
    with pytest.raises(ValueError, match="keep the shape of its initial state"):
        fast(np.ones((2, 3)), np.ones((3, 4)))
    with pytest.raises(ValueError, match="not aligned"):
        fast(np.ones((2, 3)), np.ones((4, 4)))


def test_outputs_held_by_the_caller_are_never_reused() -> None:
    """Large output buffers are recycled only when nobody holds them."""
    fast, _ = rnn("float64")
    rng = np.random.default_rng(1)
    first_in = rnn_values(rng, 300, 32, 32, 4, "float64", "contiguous")
    second_in = rnn_values(rng, 300, 32, 32, 4, "float64", "contiguous")
    first = fast(*first_in, 300)
    kept = first.copy()
    second = fast(*second_in, 300)
    np.testing.assert_array_equal(first, kept)
    assert not np.shares_memory(first, second)
    del first, kept
    third = fast(*second_in, 300)  # may reuse the first buffer now: same values as 2nd
    np.testing.assert_array_equal(third, second)
