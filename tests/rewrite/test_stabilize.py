"""Stabilisation: each rule fires, keeps ordinary values, and turns a naive inf/nan into
the finite value computed in higher precision (float64 for float32 graphs, long double
for float64 graphs)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tensordsl import tensor as T
from tests.rewrite.helpers import NO_REWRITES, array_of, assert_values_equal, compile_fn, only

FLOATS = ["float32", "float64"]


def wide(dtype):
    return np.float64 if dtype == "float32" else np.longdouble


def softmax_graph(x):
    e = T.exp(x)
    return e / e.sum(axis=1, keepdims=True)


def ref_logsumexp(v, dtype):
    v = v.astype(wide(dtype))
    m = v.max(axis=1, keepdims=True)
    return (m + np.log(np.exp(v - m).sum(axis=1, keepdims=True)))[:, 0]


# name, rank, builder (x -> naive graph), extreme input, high-precision reference,
# extra rewrites that must be on, scalar op that must be gone
CASES = [
    ("log1p", 1, lambda x: x / T.log(1 + x), lambda d: np.array([1e-30, 3e-20], d),
     lambda v, d: v.astype(wide(d)) / np.log1p(v.astype(wide(d)))),
    ("expm1", 1, lambda x: x / (T.exp(x) - 1), lambda d: np.array([1e-30, -2e-20], d),
     lambda v, d: v.astype(wide(d)) / np.expm1(v.astype(wide(d)))),
    ("log_sigmoid", 1, lambda x: T.log(T.nnet.sigmoid(x)),
     lambda d: np.array([-200.0, -1e4, 3.0], d),
     lambda v, d: -np.logaddexp(0, -v.astype(wide(d)))),
    ("log1m_sigmoid", 1, lambda x: T.log(1 - T.nnet.sigmoid(x)),
     lambda d: np.array([200.0, 1e4, -3.0], d),
     lambda v, d: -np.logaddexp(0, v.astype(wide(d)))),
    ("stable_softmax", 2, softmax_graph, lambda d: np.array([[1000.0, 999.0, 0.0]], d),
     lambda v, d: np.exp(v.astype(wide(d)) - ref_logsumexp(v, d)[:, None])),
    ("stable_log_softmax", 2, lambda x: T.log(softmax_graph(x)),
     lambda d: np.array([[1000.0, 999.0, -1e4]], d),
     lambda v, d: v.astype(wide(d)) - ref_logsumexp(v, d)[:, None]),
    ("stable_logsumexp", 2, lambda x: T.log(T.exp(x).sum(axis=1)),
     lambda d: np.array([[1000.0, 1000.0], [-1e4, -1e4 - 1]], d),
     ref_logsumexp),
]
IDS = [c[0] for c in CASES]


def typed(rank, dtype):
    return T.tensor(dtype, (None,) * rank, name="x")


@pytest.mark.parametrize("name,rank,build,extreme,reference", CASES, ids=IDS)
@pytest.mark.parametrize("dtype", FLOATS)
def test_naive_is_not_finite_and_rewritten_is_accurate(name, rank, build, extreme, reference,
                                                       dtype):
    x = typed(rank, dtype)
    value = extreme(dtype)
    with np.errstate(all="ignore"):
        naive = compile_fn([x], build(x), NO_REWRITES)(value)
        fixed = compile_fn([x], build(x), only(name))(value)
        want = reference(value, dtype)
    assert not np.isfinite(naive).all(), f"{name}: the naive graph should overflow here"
    assert fixed.dtype == dtype
    assert np.isfinite(fixed).all(), f"{name}: {fixed}"
    tol = 1e-6 if dtype == "float32" else 1e-14
    np.testing.assert_allclose(fixed.astype(np.float64), want.astype(np.float64), rtol=tol,
                               atol=tol)


@pytest.mark.parametrize("name,rank,build,extreme,reference", CASES, ids=IDS)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_rule_keeps_ordinary_values(name, rank, build, extreme, reference, data):
    dtype = data.draw(st.sampled_from(FLOATS))
    x = typed(rank, dtype)
    # the max subtraction cannot reduce an empty axis (documented in docs/rewrites.md)
    shape = tuple(data.draw(st.integers(0 if d < rank - 1 else 1, 3)) for d in range(rank))
    value = data.draw(array_of(x.type, shape, lo=0.1, hi=3.0))
    with np.errstate(all="ignore"):
        want = compile_fn([x], build(x), NO_REWRITES)(value)
        got = compile_fn([x], build(x), only(name))(value)
    assert_values_equal(got, want, name)


@pytest.mark.parametrize("dtype", FLOATS)
def test_binary_crossentropy_of_sigmoid_is_stable(dtype):
    """BCE(sigmoid(z), t) becomes the logits form through log_sigmoid/log1m_sigmoid."""
    z = T.vector("z", dtype=dtype)
    t = T.vector("t", dtype=dtype)
    out = T.nnet.binary_crossentropy(T.nnet.sigmoid(z), t)
    zs = np.array([-1000.0, 40.0, 800.0, 0.5], dtype)
    ts = np.array([0.0, 0.0, 1.0, 1.0], dtype)
    with np.errstate(all="ignore"):
        naive = compile_fn([z, t], out, NO_REWRITES)(zs, ts)
        fixed = compile_fn([z, t], out, "FAST_RUN")(zs, ts)
    assert not np.isfinite(naive[:2]).any()
    w = wide(dtype)
    want = np.logaddexp(0, zs.astype(w)) - ts.astype(w) * zs.astype(w)
    assert np.isfinite(fixed).all()
    np.testing.assert_allclose(fixed.astype(np.float64), want.astype(np.float64),
                               rtol=1e-6 if dtype == "float32" else 1e-14)


def test_softmax_from_nnet_is_not_shifted_twice():
    x = T.dmatrix("x")
    f = compile_fn([x], T.nnet.softmax(x), only("stable_softmax"))
    reduces = [n for n in f.maker.fgraph.toposort() if "maximum" in str(n.op)]
    assert len(reduces) == 1
