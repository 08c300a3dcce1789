"""verify_grad for every differentiable scalar op, over hypothesis shapes and values."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.gradient import verify_grad
from tensordsl.gradient.rules_elemwise import SCALAR_RULES
from tensordsl.ops.scalar import SCALAR_OPS
from tensordsl.tensor.math import elemwise

SETTINGS = settings(max_examples=25, deadline=None)

# name -> (function of symbolic inputs, one value domain (lo, hi) per input)
UNIT = (-0.9, 0.9)
POS = (0.5, 2.0)
ANY = (-2.0, 2.0)
SMOOTH_OPS = {
    "add": (T.add, [ANY, ANY]),
    "sub": (T.sub, [ANY, ANY]),
    "mul": (T.mul, [ANY, ANY]),
    "true_div": (T.true_div, [ANY, POS]),
    "pow": (T.pow, [POS, ANY]),
    "neg": (T.neg, [ANY]),
    "sqr": (T.sqr, [ANY]),
    "identity": (T.identity, [ANY]),
    "exp": (T.exp, [ANY]),
    "exp2": (T.exp2, [ANY]),
    "expm1": (T.expm1, [ANY]),
    "log": (T.log, [POS]),
    "log2": (T.log2, [POS]),
    "log10": (T.log10, [POS]),
    "log1p": (T.log1p, [(-0.5, 2.0)]),
    "sqrt": (T.sqrt, [POS]),
    "rsqrt": (lambda x: elemwise(SCALAR_OPS["rsqrt"])(x), [POS]),
    "reciprocal": (T.reciprocal, [POS]),
    "sin": (T.sin, [ANY]),
    "cos": (T.cos, [ANY]),
    "tan": (T.tan, [(-1.2, 1.2)]),
    "arcsin": (T.arcsin, [UNIT]),
    "arccos": (T.arccos, [UNIT]),
    "arctan": (T.arctan, [ANY]),
    "sinh": (T.sinh, [ANY]),
    "cosh": (T.cosh, [ANY]),
    "tanh": (T.tanh, [ANY]),
    "arcsinh": (T.arcsinh, [ANY]),
    "arccosh": (T.arccosh, [(1.2, 3.0)]),
    "arctanh": (T.arctanh, [UNIT]),
    "erf": (T.erf, [ANY]),
    "erfc": (T.erfc, [ANY]),
    "erfinv": (T.erfinv, [UNIT]),
    "sigmoid": (T.sigmoid, [ANY]),
    "softplus": (T.softplus, [ANY]),
    "gammaln": (T.gammaln, [POS]),
    "arctan2": (T.arctan2, [POS, POS]),
    "second": (T.second, [ANY, ANY]),
}
# Ops that are smooth away from a set of points: the drawn values keep away from them.
KINKED_OPS = {"abs", "maximum", "minimum", "clip", "mod", "switch"}
ZERO_GRAD_OPS = ["sign", "floor", "ceil", "trunc", "round_half_to_even",
                 "round_half_away_from_zero", "int_div", "eq", "neq", "lt", "le", "gt", "ge"]


def test_every_scalar_op_has_a_rule_or_is_discrete() -> None:
    discrete_only = {"and_", "or_", "xor", "invert", "isnan", "isinf"}
    covered = set(SMOOTH_OPS) | KINKED_OPS | set(ZERO_GRAD_OPS) | discrete_only | {"psi"}
    assert set(SCALAR_OPS) <= covered
    assert set(SCALAR_OPS) - {"psi"} <= set(SCALAR_RULES) | {"psi"}


shapes = st.lists(st.integers(0, 3), min_size=0, max_size=2).map(tuple)  # 0-size too


def _values(draw, shape, domain, dtype="float64"):
    lo, hi = domain
    flat = draw(st.lists(st.floats(lo, hi), min_size=int(np.prod(shape)),
                         max_size=int(np.prod(shape))))
    return np.asarray(flat, dtype=dtype).reshape(shape)


@pytest.mark.parametrize("name", sorted(SMOOTH_OPS))
@SETTINGS
@given(data=st.data(), shape=shapes)
def test_verify_grad_smooth(name, data, shape) -> None:
    fn, domains = SMOOTH_OPS[name]
    points = [_values(data.draw, shape, d) for d in domains]
    verify_grad(fn, points)


@pytest.mark.parametrize("name", ["mul", "true_div", "sqr", "exp", "tanh", "sigmoid"])
@SETTINGS
@given(data=st.data(), shape=shapes)
def test_verify_grad_float32(name, data, shape) -> None:
    fn, domains = SMOOTH_OPS[name]
    points = [_values(data.draw, shape, d, "float32") for d in domains]
    verify_grad(fn, points)


@st.composite
def broadcast_pair(draw):
    """Two shapes that broadcast (size-1 dims on either side, different ranks)."""
    full = draw(st.lists(st.integers(2, 3), min_size=1, max_size=3))
    a = [draw(st.sampled_from([s, 1])) for s in full]
    b = [draw(st.sampled_from([s, 1])) for s in full]
    b = b[draw(st.integers(0, len(b) - 1)):]
    return tuple(a), tuple(b)


@pytest.mark.parametrize("name", ["add", "mul", "true_div", "pow", "arctan2"])
@SETTINGS
@given(data=st.data(), pair=broadcast_pair())
def test_verify_grad_broadcasting(name, data, pair) -> None:
    fn, domains = SMOOTH_OPS[name]
    points = [_values(data.draw, shape, d) for shape, d in zip(pair, domains)]
    verify_grad(fn, points)


def test_runtime_broadcast_of_unknown_size_dims() -> None:
    x, y = T.dvector("x"), T.dmatrix("y")  # x's size is only known at run time
    gx, gy = theano.grad((x * y).sum(), [x, y])
    f = theano.function([x, y], [gx, gy])
    xv, yv = np.array([2.0]), np.arange(6.0).reshape(2, 3)
    got_x, got_y = f(xv, yv)
    np.testing.assert_allclose(got_x, [yv.sum()])
    np.testing.assert_allclose(got_y, np.full((2, 3), 2.0))


def test_second_order_through_runtime_broadcasting() -> None:
    x, y = T.dvector("x"), T.dmatrix("y")  # x has run-time size 1: broadcast along dim 1
    gx = theano.grad(T.sum(T.sin(x * y)), x)
    gy = theano.grad(gx.sum(), y)
    xv, yv = np.array([0.7]), np.arange(6.0).reshape(2, 3) / 5
    got_gx, got_gy = theano.function([x, y], [gx, gy])(xv, yv)
    np.testing.assert_allclose(got_gx, [np.sum(yv * np.cos(xv * yv))])
    np.testing.assert_allclose(got_gy, np.cos(xv * yv) - xv * yv * np.sin(xv * yv))


@st.composite
def kinked_case(draw):
    """(name, points) with values away from each op's kinks."""
    name = draw(st.sampled_from(sorted(KINKED_OPS)))
    shape = draw(shapes)
    n = int(np.prod(shape))
    mag = st.floats(0.2, 2.0)
    signs = st.sampled_from([-1.0, 1.0])

    def away_from_zero():
        return np.asarray([draw(mag) * draw(signs) for _ in range(n)]).reshape(shape)

    if name in ("abs",):
        return name, [away_from_zero()]
    if name in ("maximum", "minimum"):
        a = away_from_zero()
        return name, [a, a + away_from_zero()]
    if name == "clip":
        x = np.asarray([draw(st.sampled_from([-1.5, -0.5, 0.0, 0.5, 1.5])) + draw(
            st.floats(-0.1, 0.1)) for _ in range(n)]).reshape(shape)
        return name, [x, np.full(shape, -1.0), np.full(shape, 1.0)]
    if name == "mod":
        y = np.asarray([draw(st.floats(1.0, 2.0)) for _ in range(n)]).reshape(shape)
        q = np.asarray([draw(st.integers(-2, 2)) + draw(st.floats(0.2, 0.8))
                        for _ in range(n)]).reshape(shape)
        return name, [q * y, y]
    return name, [away_from_zero(), np.asarray(draw(st.floats(-1, 1))),
                  np.asarray(draw(st.floats(-1, 1)))]  # switch


KINK_FNS = {
    "abs": T.abs, "maximum": T.maximum, "minimum": T.minimum, "clip": T.clip, "mod": T.mod,
    "switch": lambda c, a, b: T.switch(T.gt(c, 0), a * c, b * c),
}


@settings(max_examples=60, deadline=None)
@given(case=kinked_case())
def test_verify_grad_kinked(case) -> None:
    name, points = case
    verify_grad(KINK_FNS[name], points)


@pytest.mark.parametrize("name", ZERO_GRAD_OPS)
def test_piecewise_constant_ops_have_zero_gradient(name) -> None:
    x = T.dvector("x")
    op = elemwise(SCALAR_OPS[name])
    expr = op(x) if SCALAR_OPS[name].nin == 1 else op(x, 0.7)
    g = theano.grad(T.sum(T.cast(expr, "float64")) + x.sum(), x)
    value = theano.function([x], g)(np.array([-1.3, 0.2, 2.6]))
    np.testing.assert_array_equal(value, np.ones(3))  # only the + x.sum() term


def test_cast_gradient_keeps_input_dtype() -> None:
    x = T.fvector("x")
    y = T.cast(x, "float64") ** 2
    g = theano.grad(y.sum(), x)
    assert g.dtype == "float32"
    np.testing.assert_allclose(theano.function([x], g)(np.array([1.0, -2.0], "float32")),
                               [2.0, -4.0])


def test_psi_gradient_is_reported_not_implemented() -> None:
    x = T.dscalar("x")
    with pytest.raises(NotImplementedError, match="trigamma"):
        theano.grad(T.psi(x), x)


def test_non_contiguous_points() -> None:
    base = np.random.default_rng(1).uniform(0.5, 2.0, size=(4, 3))
    verify_grad(lambda a, b: T.log(a) * b, [base.T, base[::-1, :].T])
    x = T.dmatrix("x")
    g = theano.function([x], theano.grad(T.sum(T.exp(x)), x))
    np.testing.assert_allclose(g(base.T[:, ::-1]), np.exp(base.T[:, ::-1]))
