"""RowBlock: `X @ w -> row kernel -> X.T @ g` as one node and one pass over X in C.

Compiled (FAST_RUN) against the numpy reference (FAST_COMPILE) for linear models trained
by gradient descent, with hypothesis shapes (N or F of 0 and 1, targets broadcast from
length 1), non-contiguous X, float32 and float64."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tensordsl.backends.c import render_rowblock
from tensordsl.ops.rowblock import RowBlock


def _middle(kind, z, y):
    """A loss of the row predictions z against targets y, and its mean."""
    if kind == "logistic":
        p = 1 / (1 + T.exp(-z))
        return T.mean(-y * T.log(p) - (1 - y) * T.log(1 - p))
    if kind == "squared":
        return T.mean(T.sqr(z - y)) * 0.5
    return T.sum(T.tanh(z) * y)  # a sum, no 1/N


def model(mode, kind, dtype, bias, n_features):
    x, y = T.matrix("x", dtype=dtype), T.vector("y", dtype=dtype)
    w = T.vector("w", dtype=dtype)
    b = T.scalar("b", dtype=dtype)
    z = T.dot(x, w) + b if bias else T.dot(x, w)
    cost = _middle(kind, z, y) + 0.01 * T.sum(w * w)
    wrt = [w, b] if bias else [w]
    grads = tensordsl.grad(cost, wrt)
    inputs = [x, y, w] + ([b] if bias else [])
    return tensordsl.function(inputs, [cost, *grads], mode=mode, on_unused_input="ignore")


def rowblocks(f):
    return [n for n in f.maker.fgraph.apply_nodes if isinstance(n.op, RowBlock)]


def layout(data, how):
    if how == "transposed":
        return np.ascontiguousarray(data.T).T
    if how == "sliced":
        big = np.zeros((data.shape[0], 2 * data.shape[1] + 1), data.dtype)
        big[:, 1::2] = data
        return big[:, 1::2]
    if how == "reversed":
        return np.ascontiguousarray(data[::-1])[::-1]
    return data


def tolerance(dtype):
    return dict(rtol=1e-9, atol=1e-11) if dtype == "float64" else dict(rtol=3e-4, atol=3e-5)


@settings(max_examples=40, deadline=None)
@given(kind=st.sampled_from(["logistic", "squared", "tanh"]),
       dtype=st.sampled_from(["float32", "float64"]), bias=st.booleans(),
       n=st.sampled_from([0, 1, 2, 5, 37]), f=st.sampled_from([0, 1, 3, 20]),
       y_len=st.sampled_from(["n", "one"]),
       how=st.sampled_from(["c", "transposed", "sliced", "reversed"]),
       seed=st.integers(0, 2**31))
def test_compiled_matches_reference(kind, dtype, bias, n, f, y_len, how, seed):
    fast = model("FAST_RUN", kind, dtype, bias, f)
    ref = model("FAST_COMPILE", kind, dtype, bias, f)
    assert len(rowblocks(fast)) == 1 and not rowblocks(ref)
    rng = np.random.default_rng(seed)
    x = layout((0.3 * rng.standard_normal((n, f))).astype(dtype), how)
    y = (rng.random(n if y_len == "n" else 1) > 0.5).astype(dtype)
    w = rng.standard_normal(f).astype(dtype)
    args = [x, y, w] + ([np.asarray(0.2, dtype)] if bias else [])
    with np.errstate(all="ignore"):
        want = ref(*args)
    got = fast(*args)
    for g, r in zip(got, want):
        assert g.dtype == r.dtype and g.shape == r.shape
        np.testing.assert_allclose(g, r, **tolerance(dtype), equal_nan=True)


def test_the_logistic_step_is_one_pass_and_takes_the_compiled_path(monkeypatch):
    calls = []
    monkeypatch.setattr(render_rowblock.RowBlockRunner, "fallback",
                        lambda self, arrays: calls.append(1))
    rng = np.random.default_rng(0)
    n, f = 300, 40
    x, y = T.dmatrix("x"), T.dvector("y")
    w = tensordsl.shared(np.zeros(f), name="w")
    b = tensordsl.shared(0.0, name="b")
    p = 1 / (1 + T.exp(-(T.dot(x, w) + b)))
    cost = T.mean(-y * T.log(p) - (1 - y) * T.log(1 - p)) + 0.01 * T.sum(w * w)
    gw, gb = tensordsl.grad(cost, [w, b])
    step = tensordsl.function([x, y], cost, updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)])
    (node,) = rowblocks(step)
    assert not [n for n in step.maker.fgraph.apply_nodes if type(n.op).__name__ in
                ("Gemm", "Dot", "SumToShape")]  # both products and the sums are inside
    assert node.op.n_sums == 2  # the loss and the bias gradient are summed in the pass
    xs, ys = rng.standard_normal((n, f)), (rng.random(n) > 0.5).astype(float)
    wn, bn = np.zeros(f), 0.0
    for _ in range(5):
        cost_value = step(xs, ys)
        pn = 1 / (1 + np.exp(-(xs @ wn + bn)))
        want = np.mean(-ys * np.log(pn) - (1 - ys) * np.log(1 - pn)) + 0.01 * np.sum(wn * wn)
        wn, bn = wn - 0.1 * (xs.T @ (pn - ys) / n + 0.02 * wn), bn - 0.1 * np.mean(pn - ys)
        np.testing.assert_allclose(cost_value, want, rtol=1e-12)
    np.testing.assert_allclose(w.get_value(), wn, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(b.get_value(), bn, rtol=1e-10, atol=1e-13)
    assert not calls


def test_does_not_fire_when_the_matrices_differ():
    x1, x2, y, w = T.dmatrix("x1"), T.dmatrix("x2"), T.dvector("y"), T.dvector("w")
    g = T.tanh(T.dot(x1, w)) - y
    f = tensordsl.function([x1, x2, y, w], T.dot(x2.T, g))
    assert not rowblocks(f)
    g2 = T.tanh(T.dot(x1, w)) - y
    f2 = tensordsl.function([x1, y, w], T.dot(x1.T, g2))
    assert len(rowblocks(f2)) == 1


def test_does_not_fire_when_a_row_value_is_reduced_on_the_way():
    x, y, w = T.dmatrix("x"), T.dvector("y"), T.dvector("w")
    z = T.dot(x, w)
    g = z - T.sum(z)  # g needs a sum over every row before any row: not one pass
    f = tensordsl.function([x, y, w], T.dot(x.T, g * y))
    assert not rowblocks(f)
    args = np.arange(6.0).reshape(3, 2), np.ones(3), np.ones(2)
    ref = tensordsl.function([x, y, w], T.dot(x.T, g * y), mode="FAST_COMPILE")
    np.testing.assert_allclose(f(*args), ref(*args))


def test_bad_inputs_are_value_errors_naming_the_input():
    f = model("FAST_RUN", "logistic", "float64", True, 3)
    good = [np.ones((4, 3)), np.ones(4), np.ones(3), np.asarray(0.5)]
    f(*good)
    with pytest.raises(ValueError, match="w"):
        f(np.ones((4, 3)), np.ones(4), np.ones(5), np.asarray(0.5))
    with pytest.raises(ValueError, match="broadcast|y"):
        f(np.ones((4, 3)), np.ones(3), np.ones(3), np.asarray(0.5))
    # the runner itself checks dtypes before any foreign call
    (call,) = [step.call for step in f.thunk.steps if isinstance(step.node.op, RowBlock)]
    (node,) = rowblocks(f)
    arrays = [np.ones((4, 3), dtype="float32")] + [np.zeros(v.type.shape and 3 or (), "float64")
                                                   for v in node.inputs[1:]]
    with pytest.raises(ValueError, match="input x must have dtype float64, got float32"):
        call(arrays)


def test_fast_compile_is_unaffected():
    f = model("FAST_COMPILE", "logistic", "float64", True, 3)
    assert not rowblocks(f)
    names = {type(n.op).__name__ for n in f.maker.fgraph.apply_nodes}
    assert "Dot" in names


def test_the_unit_has_no_system_header_and_parses():
    f = model("FAST_RUN", "logistic", "float32", True, 3)
    (node,) = rowblocks(f)
    source = render_rowblock.render_rowblock(node.op.kernel, node.op.n_rows_out,
                                             node.op.n_sums, openmp=True)
    assert "#include" not in source
    from tensordsl.backends.c import validate

    validate.check_source(source)
    plain = render_rowblock.render_rowblock(node.op.kernel, node.op.n_rows_out,
                                            node.op.n_sums, openmp=False)
    assert "omp" not in plain
    validate.check_source(plain)


def test_result_does_not_depend_on_the_thread_count():
    f = model("FAST_RUN", "logistic", "float64", True, 50)
    (runner,) = [s.runner for s in f.thunk.steps if isinstance(s.node.op, RowBlock)]
    rng = np.random.default_rng(3)
    args = [0.1 * rng.standard_normal((3000, 50)), (rng.random(3000) > 0.5).astype(float),
            rng.standard_normal(50), np.asarray(0.3)]
    results = []
    for threads in (1, 2, 3):
        runner.max_threads = threads
        results.append(f(*args))
    for other in results[1:]:
        for a, b in zip(results[0], other):
            np.testing.assert_array_equal(a, b)  # fixed row chunks, combined in order


@pytest.mark.parametrize("form", ["xt_dot", "dot_x", "gemm"])
def test_product_forms_and_escaping_row_values(form):
    x, y, w, c = T.dmatrix("x"), T.dvector("y"), T.dvector("w"), T.dvector("c")
    z = T.dot(x, w)
    g = T.tanh(z) * y
    if form == "xt_dot":
        out = T.dot(x.T, g)
    elif form == "dot_x":
        out = T.dot(g, x)
    else:
        out = T.dot(x.T, g) + c
    outputs = [out, g, z, T.sum(g)]
    fast = tensordsl.function([x, y, w, c], outputs, on_unused_input="ignore")
    ref = tensordsl.function([x, y, w, c], outputs, mode="FAST_COMPILE",
                             on_unused_input="ignore")
    (node,) = rowblocks(fast)
    assert node.op.n_rows_out == 2 and node.op.n_sums == 1  # g and z stored, sum(g) summed
    rng = np.random.default_rng(7)
    args = [rng.standard_normal((70, 30)), rng.standard_normal(70), rng.standard_normal(30),
            rng.standard_normal(30)]
    for got, want in zip(fast(*args), ref(*args)):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
