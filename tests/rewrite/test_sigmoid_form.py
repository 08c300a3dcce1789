"""sigmoid_form: 1/(1+exp(-x)) is recognised as sigmoid(x) (Theano's local_sigm), so the
cross-entropy of a hand-written logistic becomes the stable softplus form."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tensordsl import tensor as T
from tests.rewrite.helpers import NO_REWRITES, compile_fn, only, scalar_names


@settings(max_examples=30, deadline=None)
@given(dtype=st.sampled_from(["float32", "float64"]), n=st.sampled_from([0, 1, 5]),
       seed=st.integers(0, 2**31))
def test_fires_and_keeps_values(dtype, n, seed):
    x = T.vector("x", dtype=dtype)
    out = 1 / (1 + T.exp(-x))
    f = compile_fn([x], out, only("sigmoid_form"))
    ref = compile_fn([x], out, NO_REWRITES)
    assert "sigmoid" in scalar_names(f) and "exp" not in scalar_names(f)
    v = (np.random.default_rng(seed).standard_normal(n) * 10).astype(dtype)
    got, want = f(v), ref(v)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=4 * np.finfo(dtype).eps, atol=0)


def test_declines_other_forms_and_ints():
    x = T.dvector("x")
    for out in (1 / (1 + T.exp(x)), 2 / (1 + T.exp(-x)), 1 / (2 + T.exp(-x))):
        assert "sigmoid" not in scalar_names(compile_fn([x], out, only("sigmoid_form")))


def test_hand_written_cross_entropy_is_finite():
    for dtype in ("float32", "float64"):
        z, t = T.vector("z", dtype=dtype), T.vector("t", dtype=dtype)
        p = 1 / (1 + T.exp(-z))
        xent = -t * T.log(p) - (1 - t) * T.log(1 - p)
        f = compile_fn([z, t], xent, "FAST_RUN")
        assert "softplus" in scalar_names(f)
        zs = np.array([-1000, 800, 0.5], dtype)
        ts = np.array([1, 0, 1], dtype)
        got = f(zs, ts)
        want = np.array([1000, 800, np.logaddexp(0, -0.5)])
        np.testing.assert_allclose(got, want, rtol=1e-6)
