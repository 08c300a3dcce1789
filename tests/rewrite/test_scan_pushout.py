"""The scan pushout (tensordsl/rewrite/scan_pushout.py): step values that do not depend on
the recurrent states are computed outside the loop. Compiled results (FAST_RUN with the
opt-in `scan_pushout_seq`, C backend) equal the reference (FAST_COMPILE: no pushout,
numpy) over drawn lengths (0 and 1 steps included), shapes, dtypes and sequence taps; the
rewritten step no longer holds the input product; gradients taken before compiling still
agree."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tensordsl.ops.blas import Dot
from tensordsl.rewrite.engine import scalar_name
from tensordsl.runtime.mode import get_mode
from tensordsl.scan import Scan, scan, until

TOL = {"float32": dict(rtol=3e-4, atol=3e-5), "float64": dict(rtol=1e-9, atol=1e-11)}
TAPS = [(0,), (-1, 0), (0, 2), (-2, 1)]
PUSH = get_mode("FAST_RUN").including("scan_pushout_seq")


def scan_nodes(fn: tensordsl.Function) -> list:
    """The Scan nodes of a compiled function's (rewritten) graph."""
    return [n for n in fn.maker.fgraph.toposort() if isinstance(n.op, Scan)]


def step_dots(node: object) -> list:
    """The matrix products left in a Scan node's step graph."""
    return [n for n in node.op.inner.toposort() if isinstance(n.op, Dot)]


def assert_close(got: list, want: list, dtype: str) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert np.asarray(g).shape == np.asarray(w).shape
        assert np.asarray(g).dtype == np.asarray(w).dtype
        np.testing.assert_allclose(g, w, **TOL[dtype])


def both(inputs: list, outputs: object) -> tuple:
    return (tensordsl.function(inputs, outputs, mode=PUSH),
            tensordsl.function(inputs, outputs, mode="FAST_COMPILE"))


def tapped_rnn_step(*args: T.TensorVariable) -> list:
    """h' = tanh(sum over taps of f(x_tap) @ W + b + h @ (U * 0.5)), and a per-step output
    that reads only the sequence (both movable), f elementwise on the later taps."""
    *slices, h, W, U, b = args  # noqa: N806
    z = T.dot(slices[0], W) + b
    for k, xs in enumerate(slices[1:]):
        z = z + T.dot(T.tanh(xs) * (k + 1.5), W)
    h_new = T.tanh(z + T.dot(h, U * 0.5))
    return [h_new, T.exp(slices[-1] * 0.25) - 1]


@functools.cache
def tapped_rnn(dtype: str, taps: tuple[int, ...]) -> tuple:
    x, h0 = T.tensor3("x", dtype), T.matrix("h0", dtype)
    W, U, b = T.matrix("W", dtype), T.matrix("U", dtype), T.vector("b", dtype)  # noqa: N806
    n = T.iscalar("n")
    (hs, ys), _ = scan(tapped_rnn_step, sequences=[dict(input=x, taps=list(taps))],
                       outputs_info=[h0, None], non_sequences=[W, U, b], n_steps=n)
    loss = T.sum(hs ** 2) + T.sum(ys)
    grads = tensordsl.grad(loss, [W, U, b, x]) if len(taps) < 3 else []
    return both([x, h0, W, U, b, n], [hs, ys, *grads])


@settings(max_examples=40, deadline=None)
@given(steps=st.sampled_from([0, 1, 2, 5, 17]), batch=st.integers(0, 4),
       hidden=st.integers(1, 7), n_in=st.integers(1, 5),
       dtype=st.sampled_from(["float32", "float64"]), taps=st.sampled_from(TAPS),
       extra=st.integers(0, 2), seed=st.integers(0, 99))
def test_pushout_equals_reference(steps: int, batch: int, hidden: int, n_in: int, dtype: str,
                                  taps: tuple[int, ...], extra: int, seed: int) -> None:
    fast, ref = tapped_rnn(dtype, taps)
    rng = np.random.default_rng(seed)
    rows = steps + max(taps) - min(taps) + extra  # a sequence may be longer than needed
    scale = 1 / np.sqrt(hidden)
    values = [rng.standard_normal((rows, batch, n_in)).astype(dtype),
              rng.standard_normal((batch, hidden)).astype(dtype),
              (rng.standard_normal((n_in, hidden)) * scale).astype(dtype),
              (rng.standard_normal((hidden, hidden)) * scale).astype(dtype),
              rng.standard_normal(hidden).astype(dtype)]
    before = [v.copy() for v in values]
    assert_close(fast(*values, steps), ref(*values, steps), dtype)
    for v, b in zip(values, before):  # nothing the caller owns is written
        np.testing.assert_array_equal(v, b)


@pytest.mark.parametrize("taps", TAPS)
def test_step_no_longer_holds_the_input_products(taps: tuple[int, ...]) -> None:
    fast, ref = tapped_rnn("float64", taps)
    forward = [n for n in scan_nodes(fast) if n.op.name != "grad_of_scan"]
    (node,) = forward
    dots = step_dots(node)
    assert len(dots) == 1  # h @ U only: every x_tap @ W is one product outside
    state = node.op.inner.inputs[sum(map(len, node.op.seq_taps))]  # after the slices
    assert dots[0].inputs[0] is state
    (original,) = [n for n in scan_nodes(ref) if n.op.name != "grad_of_scan"]
    assert len(step_dots(original)) == 1 + len(taps)  # the reference keeps them inside


def test_fast_run_keeps_sequence_products_inside() -> None:
    """Plain FAST_RUN moves invariants only (W * 2); x_t @ W moves with scan_pushout_seq."""
    x, h0, W, U = T.tensor3("x"), T.matrix("h0"), T.matrix("W"), T.matrix("U")  # noqa: N806
    hs, _ = scan(lambda xt, h, W, U: T.tanh(T.dot(xt, W * 2) + T.dot(h, U)),  # noqa: N803
                 sequences=[x], outputs_info=[h0], non_sequences=[W, U])
    kept = tensordsl.function([x, h0, W, U], hs, mode="FAST_RUN")
    moved = tensordsl.function([x, h0, W, U], hs, mode=PUSH)
    (node,) = scan_nodes(kept)
    assert len(step_dots(node)) == 2
    assert "mul" not in [scalar_name(n) for n in node.op.inner.toposort()]  # W * 2 is outside
    assert [len(step_dots(n)) for n in scan_nodes(moved)] == [1]
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(s) for s in [(6, 3, 4), (3, 5), (4, 5), (5, 5)]]
    np.testing.assert_allclose(moved(*values), kept(*values), rtol=1e-12, atol=1e-13)


@settings(max_examples=25, deadline=None)
@given(steps=st.sampled_from([0, 1, 3, 9]), hidden=st.integers(1, 6), n_in=st.integers(1, 5),
       dtype=st.sampled_from(["float32", "float64"]), seed=st.integers(0, 99))
def test_vector_slices_both_sides(steps: int, hidden: int, n_in: int, dtype: str,
                                  seed: int) -> None:
    """A 2-d sequence's rows: x_t @ W (a vector by a matrix) and V @ x_t (a matrix by a
    vector) both leave the loop; an invariant (W * 2) becomes a non-sequence."""
    x, h0 = T.matrix("x", dtype), T.vector("h0", dtype)
    W, V, U = (T.matrix(n, dtype) for n in "WVU")  # noqa: N806
    hs, _ = scan(lambda xt, h, W, V, U: T.tanh(T.dot(xt, W * 2) + T.dot(V, xt)  # noqa: N803
                                               + T.dot(h, U)),
                 sequences=[x], outputs_info=[h0], non_sequences=[W, V, U])
    fast, ref = both([x, h0, W, V, U], hs)
    (node,) = scan_nodes(fast)
    assert len(step_dots(node)) == 1
    rng = np.random.default_rng(seed)
    values = [rng.standard_normal(s).astype(dtype) / 2
              for s in [(steps, n_in), (hidden,), (n_in, hidden), (hidden, n_in),
                        (hidden, hidden)]]
    assert_close([fast(*values)], [ref(*values)], dtype)


def test_while_loop_keeps_its_sequence_products() -> None:
    """An `until` loop may stop early: rows past it are not computed outside for nothing."""
    x, h0, W = T.matrix("x"), T.vector("h0"), T.matrix("W")  # noqa: N806

    def step(xt: T.TensorVariable, h: T.TensorVariable, W: T.TensorVariable) -> tuple:  # noqa: N803
        h_new = T.tanh(T.dot(xt, W) + h)
        return h_new, until(T.sum(h_new) > 1.5)

    hs, _ = scan(step, sequences=[x], outputs_info=[h0], non_sequences=[W])
    fast, ref = both([x, h0, W], hs)
    (node,) = scan_nodes(fast)
    assert len(step_dots(node)) == 1
    rng = np.random.default_rng(3)
    values = [rng.standard_normal((12, 3)), rng.standard_normal(4) * 0.1,
              rng.standard_normal((3, 4)) * 0.3]
    np.testing.assert_allclose(fast(*values), ref(*values), rtol=1e-10, atol=1e-12)


def test_short_sequence_is_named() -> None:
    x, W = T.tensor3("x"), T.matrix("W")  # noqa: N806
    ys, _ = scan(lambda x0, x2, W: T.dot(x0 + x2, W),  # noqa: N803
                 sequences=[dict(input=x, taps=[0, 2])],
                 non_sequences=[W], n_steps=5)
    fn = tensordsl.function([x, W], ys, mode=PUSH)
    with pytest.raises(ValueError, match=r"sequence 0 \(x\) has 4 rows but 5 steps .* need 7"):
        fn(np.zeros((4, 2, 3)), np.zeros((3, 2)))
