"""Property tests: every elementwise op and operator of the tensor API against numpy."""

from __future__ import annotations

import operator

import numpy as np
import pytest
import scipy.special
from hypothesis import given
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tests.property.harness import (
    OpRecord,
    boolean,
    check_record,
    elemwise_inputs,
    float_of,
    ids,
    same,
    upcast,
)
from tests.strategies import FLOAT_DTYPES, INT_DTYPES, NUMERIC_DTYPES

NUM, FLT, INT = NUMERIC_DTYPES, FLOAT_DTYPES, INT_DTYPES
DISCRETE = ("bool",) + INT_DTYPES


def true_div_dtype(in_dtypes, **_):
    """Theano 1.0: int / int gives floatX; otherwise the float upcast."""
    if all(d in DISCRETE for d in in_dtypes):
        return tensordsl.config.floatX
    return float_of(in_dtypes)


def binary(name, fn, ref, dtypes=NUM, out=upcast, domains=None, **kw):
    return OpRecord(name, fn, ref, out, elemwise_inputs(same(dtypes, 2), domains), **kw)


def unary(name, fn, ref, dtypes=NUM, out=upcast, domain=(None, None), **kw):
    return OpRecord(name, fn, ref, out, elemwise_inputs([dtypes], [domain]), **kw)


def float_fn(name, ref=None, domain=(-20.0, 20.0), loose=False):
    fn = getattr(T, name)
    return OpRecord(name, fn, ref or getattr(np, name), float_of,
                    elemwise_inputs([NUM], [domain]), compute_in_out=True, loose=loose)


POW_DOMAINS = [(-6.0, 6.0), (0.0, 4.0)]

ARITHMETIC = [
    binary("add(+)", operator.add, np.add),
    binary("sub(-)", operator.sub, np.subtract),
    binary("mul(*)", operator.mul, np.multiply),
    OpRecord("true_div(/)", operator.truediv, np.true_divide, true_div_dtype,
             elemwise_inputs(same(NUM, 2)), compute_in_out=True),
    binary("floor_div(//)", operator.floordiv, np.floor_divide),
    binary("mod(%)", operator.mod, np.mod),
    binary("pow(**)", operator.pow, np.power, domains=POW_DOMAINS),
    unary("neg(unary -)", operator.neg, np.negative),
    unary("abs()", abs, np.abs),
    unary("T.abs", T.abs, np.abs),
    unary("sqr", T.sqr, np.square),
    unary("sign", T.sign, np.sign, out=lambda d, **_: d[0]),
    binary("maximum", T.maximum, np.maximum),
    binary("minimum", T.minimum, np.minimum),
    OpRecord("clip", T.clip, np.clip, upcast, elemwise_inputs(same(NUM, 3))),
    OpRecord("x.clip", lambda x, lo, hi: x.clip(lo, hi), np.clip, upcast,
             elemwise_inputs(same(NUM, 3))),
]

FLOAT_FUNCTIONS = [
    float_fn("exp", domain=(-30.0, 30.0)),
    float_fn("log", domain=(1e-3, 1e3)),
    float_fn("log1p", domain=(-0.999, 1e3)),
    float_fn("expm1", domain=(-30.0, 30.0)),
    float_fn("sqrt", domain=(0.0, 1e3)),
    float_fn("floor"), float_fn("ceil"),
    OpRecord("round", T.round, np.round, float_of, elemwise_inputs([NUM], [(-20.0, 20.0)]),
             compute_in_out=True),
    OpRecord("round(half_away_from_zero)", lambda x: T.round(x, "half_away_from_zero"),
             lambda x: np.sign(x) * np.floor(np.abs(x) + 0.5), float_of,
             elemwise_inputs([NUM], [(-20.0, 20.0)]), compute_in_out=True),
    float_fn("sin"), float_fn("cos"), float_fn("tan", domain=(-1.5, 1.5)),
    float_fn("arcsin", domain=(-1.0, 1.0)), float_fn("arccos", domain=(-1.0, 1.0)),
    float_fn("arctan"), float_fn("sinh", domain=(-10.0, 10.0)),
    float_fn("cosh", domain=(-10.0, 10.0)), float_fn("tanh"),
    float_fn("erf", ref=scipy.special.erf), float_fn("erfc", ref=scipy.special.erfc),
    # independent formulas, not the implementation's own scipy/numpy call
    float_fn("sigmoid", ref=lambda x: 1.0 / (1.0 + np.exp(-x.astype("float64"))),
             loose=True),
    float_fn("softplus", ref=lambda x: np.log1p(np.exp(x.astype("float64"))), loose=True),
]

COMPARISONS = [
    binary(name, getattr(T, name), ref, dtypes=("bool",) + NUM, out=boolean)
    for name, ref in [("eq", np.equal), ("neq", np.not_equal), ("lt", np.less),
                      ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal)]
] + [
    binary(f"operator{sym}", op, ref, out=boolean)
    for sym, op, ref in [("<", operator.lt, np.less), ("<=", operator.le, np.less_equal),
                         (">", operator.gt, np.greater), (">=", operator.ge, np.greater_equal)]
]

BITWISE = [
    binary("and_", T.and_, np.bitwise_and, dtypes=DISCRETE),
    binary("or_", T.or_, np.bitwise_or, dtypes=DISCRETE),
    binary("xor", T.xor, np.bitwise_xor, dtypes=DISCRETE),
    binary("operator&", operator.and_, np.bitwise_and, dtypes=DISCRETE),
    binary("operator|", operator.or_, np.bitwise_or, dtypes=DISCRETE),
    binary("operator^", operator.xor, np.bitwise_xor, dtypes=DISCRETE),
    unary("invert", T.invert, np.invert, dtypes=DISCRETE),
    unary("operator~", operator.invert, np.invert, dtypes=DISCRETE),
]

SELECTION = [
    OpRecord("switch", T.switch, np.where, lambda d, **_: upcast(d[1:]),
             elemwise_inputs([DISCRETE, NUM, NUM])),
    OpRecord("where", T.where, np.where, lambda d, **_: upcast(d[1:]),
             elemwise_inputs([("bool",), NUM, NUM])),
]

RECORDS = ARITHMETIC + FLOAT_FUNCTIONS + COMPARISONS + BITWISE + SELECTION


@pytest.mark.parametrize("record", RECORDS, ids=ids(RECORDS))
@given(data=st.data())
def test_elemwise_matches_numpy(record: OpRecord, data: st.DataObject) -> None:
    check_record(record, data)


@pytest.mark.parametrize("record", FLOAT_FUNCTIONS[:6], ids=ids(FLOAT_FUNCTIONS[:6]))
@given(data=st.data())
def test_float_functions_under_floatx_float32(record: OpRecord, data: st.DataObject) -> None:
    """floatX does not change tensor dtype rules: int8 -> float32, int32 -> float64."""
    with tensordsl.config.change_flags(floatX="float32"):
        check_record(record, data)


@given(data=st.data())
def test_int_true_division_under_floatx_float32(data: st.DataObject) -> None:
    with tensordsl.config.change_flags(floatX="float32"):
        check_record(ARITHMETIC[3], data)
