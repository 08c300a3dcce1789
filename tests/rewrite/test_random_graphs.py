"""300 random expression graphs: equal values with no rewrites, FAST_COMPILE and FAST_RUN.

Graphs mix 25+ op kinds over inputs of several dtypes (float32, float64, int8, int32,
int64) and kinds (an n x m matrix, a row over m, a column over n, vectors over m and n,
a scalar, an m x m weight), with broadcasting, reductions over each axis, keepdims,
dot/Gemm shapes, casts, comparisons/switch and the stabilisable forms. Values stay
bounded (tanh before exp) so that the naive and the stabilised forms agree.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tensordsl import tensor as T
from tensordsl.graph.basic import ancestors
from tensordsl.runtime.debugmode import values_equal
from tests.rewrite.helpers import NO_REWRITES, array_of, compile_fn

DTYPES = ["float32", "float64", "int8", "int32", "int64"]
SHAPES = {"nm": (None, None), "row": (1, None), "col": (None, 1), "m": (None,),
          "n": (None,), "s": (), "mm": (None, None)}


def _is_float(v: Any) -> bool:
    return v.dtype.startswith("float")


def _f(v: Any) -> Any:
    """A float version of v (ints become float64)."""
    return v if _is_float(v) else T.cast(v, "float64")


# kind algebra: which runtime sizes a value's dims have
def _combine(a: tuple, b: tuple) -> tuple | None:
    """Operands (var, kind) made broadcast-compatible, with the result kind."""
    (va, ka), (vb, kb) = a, b
    rank = {"nm": 2, "row": 2, "col": 2, "m": 1, "n": 1, "s": 0}
    if ka == kb or "s" in (ka, kb):
        return va, vb, ka if ka != "s" else kb
    if {ka, kb} <= {"nm", "row", "col", "m"} and not {ka, kb} == {"col", "m"}:
        out = "nm" if {ka, kb} != {"row", "m"} else "row"
        return va, vb, out if rank[ka] == 2 or rank[kb] == 2 else ka
    if ka == "n" and kb in ("nm", "row", "col"):
        return va.dimshuffle(0, "x"), vb, "nm" if kb != "col" else "col"
    if kb == "n" and ka in ("nm", "row", "col"):
        return va, vb.dimshuffle(0, "x"), "nm" if ka != "col" else "col"
    return None


UNARY = {
    "neg": lambda a: -a if a.dtype != "bool" else a,
    "abs": lambda a: abs(a),
    "tanh": lambda a: T.tanh(a),
    "sin": lambda a: T.sin(a),
    "sigmoid": lambda a: T.nnet.sigmoid(a),
    "exp_tanh": lambda a: T.exp(T.tanh(a)),
    "expm1_form": lambda a: T.exp(T.tanh(a)) - 1,
    "log1p_form": lambda a: T.log(1 + T.sqr(_f(a))),
    "log_sigmoid": lambda a: T.log(T.nnet.sigmoid(T.tanh(a) * 4)),
    "log1m_sigmoid": lambda a: T.log(1 - T.nnet.sigmoid(T.tanh(a) * 4)),
    "sqr": lambda a: T.sqr(a),
    "pow2": lambda a: a ** 2,
    "pow3": lambda a: a ** 3,
    "pow0": lambda a: a ** 0,
    "sqrt_abs": lambda a: abs(a) ** 0.5 if _is_float(a) else T.sqrt(abs(a)),
    "identities": lambda a: (a + 0) * 1 - 0,
    "consts": lambda a: a * 2 * 3 + 1 + 2,
    "div_one": lambda a: a / 1,
    "cast32": lambda a: T.cast(a, "float32"),
    # Truncation is discontinuous: keep its boundaries (tanh = +-0.1, 0.3, ... 0.9) away
    # from tanh's saturation at +-1, where libm variants differ by an ulp (accuracy.py).
    "cast_int": lambda a: T.cast(T.tanh(_f(a)) * 5 + 0.5, "int32"),
    "double_neg": lambda a: T.neg(T.neg(a)),
    "zero_int": lambda a: a * 0 if not _is_float(a) else a,
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "maximum": lambda a, b: T.maximum(a, b),
    "minimum": lambda a, b: T.minimum(a, b),
    "safe_div": lambda a, b: a / (1 + T.sqr(_f(b))),
    "switch_gt": lambda a, b: T.switch(a > b, a, b),
    "self_sub": lambda a, b: (a - a) + b,
}


def _reduce(draw: Any, v: Any, kind: str, empty: bool) -> tuple | None:
    if kind not in ("nm", "m", "n"):
        return None
    how = draw(st.sampled_from(["sum", "prod", "mean", "max", "min", "keep_sum",
                                "sum_sum", "softmax", "logsumexp", "sum_mul_vec"]))
    if empty and how in ("max", "min", "softmax", "logsumexp"):
        how = "sum"
    if kind != "nm":
        if how == "sum_mul_vec":
            return T.sum(_f(v) * _f(v)), "s"
        if how in ("sum", "prod", "mean", "max", "min"):
            return getattr(T, how)(v), "s"
        return None
    axis = draw(st.sampled_from([0, 1, None]))
    out_kind = {0: "m", 1: "n", None: "s"}[axis]
    if how in ("sum", "prod", "mean", "max", "min"):
        return getattr(T, how)(v, axis=axis), out_kind
    if how == "keep_sum":
        return v * v.sum(axis=1, keepdims=True), "nm"
    if how == "sum_sum":
        return v.sum(axis=1).sum(axis=0), "s"
    x = T.tanh(_f(v)) * 3
    if how == "softmax":
        e = T.exp(x)
        return e / e.sum(axis=1, keepdims=True), "nm"
    if how == "logsumexp":
        return T.log(T.exp(x).sum(axis=1)), "n"
    return None


@st.composite
def programs(draw: Any) -> tuple[list, list, list]:
    """(inputs, outputs, values) of a random expression graph."""
    n, m = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    empty = n == 0 or m == 0
    runtime = {"nm": (n, m), "row": (1, m), "col": (n, 1), "m": (m,), "n": (n,), "s": (),
               "mm": (m, m)}
    kinds = draw(st.lists(st.sampled_from(list(SHAPES)), min_size=2, max_size=4))
    if "nm" not in kinds:
        kinds.append("nm")
    inputs, values, pool = [], [], []
    for i, kind in enumerate(kinds):
        dtype = draw(st.sampled_from(DTYPES))
        var = T.tensor(dtype, SHAPES[kind], name=f"in{i}_{kind}")
        inputs.append(var)
        values.append(draw(array_of(var.type, runtime[kind], lo=-3, hi=3)))
        if kind != "mm":
            pool.append((var, kind))
    weights = [(v, k) for v, k in zip(inputs, kinds) if k == "mm"]
    for _ in range(draw(st.integers(3, 12))):
        step = draw(st.sampled_from(["unary", "binary", "binary", "reduce", "dot"]))
        a = draw(st.sampled_from(pool[-3:]))  # mostly build on recent values: deep graphs
        made = None
        if step == "unary":
            made = UNARY[draw(st.sampled_from(sorted(UNARY)))](a[0]), a[1]
        elif step == "binary":
            pair = _combine(a, draw(st.sampled_from(pool)))
            if pair is not None:
                made = BINARY[draw(st.sampled_from(sorted(BINARY)))](pair[0], pair[1]), pair[2]
        elif step == "reduce":
            made = _reduce(draw, a[0], a[1], empty)
        elif a[1] == "nm" and weights:
            w = draw(st.sampled_from(weights))[0]
            bias = [p for p in pool if p[1] in ("m", "row")]
            made = T.dot(a[0], w), "nm"
            if bias:
                made = made[0] + draw(st.sampled_from(bias))[0], "nm"
        elif a[1] == "nm":
            vec = [p for p in pool if p[1] == "m"]
            if vec:
                made = T.dot(a[0], draw(st.sampled_from(vec))[0]), "n"
        if made is not None:
            assert made[0].ndim == len(SHAPES[made[1]]), (step, made, a)
            pool.append(made)
    n_out = draw(st.integers(1, 3))
    outputs = [v for v, _ in pool[-n_out:]]
    return inputs, outputs, values


def _run(inputs: list, outputs: list, values: list, mode: Any) -> Any:
    f = compile_fn(inputs, outputs, mode)
    with np.errstate(all="ignore"):
        try:
            return f(*[np.array(v, copy=True) for v in values])
        except (ValueError, ZeroDivisionError, FloatingPointError) as err:
            return type(err)


def _close(got: Any, want: Any, float32_inputs: bool) -> bool:
    """Equal within the tolerance of the least precise float dtype in the graph (a
    float64 result of float32 work carries float32 rounding differences)."""
    if not float32_inputs or np.asarray(want).dtype != np.float64:
        return values_equal(got, want)
    got, want = np.asarray(got), np.asarray(want)
    return got.shape == want.shape and got.dtype == want.dtype and bool(
        np.allclose(got, want, rtol=1e-4, atol=1e-5, equal_nan=True))


@settings(max_examples=300, deadline=None)
@given(programs())
def test_random_graphs_agree_across_modes(program):
    inputs, outputs, values = program
    keep = [np.array(v, copy=True) for v in values]
    want = _run(inputs, outputs, values, NO_REWRITES)
    for mode in ("FAST_COMPILE", "FAST_RUN"):
        got = _run(inputs, outputs, values, mode)
        if isinstance(want, type):
            assert got is want, (mode, got, want)
            continue
        assert not isinstance(got, type), (mode, got)
        low = any(v.dtype == "float32" for v in ancestors(outputs))
        for i, (g, w) in enumerate(zip(got, want)):
            assert _close(g, w, low), f"{mode} output {i}: {g!r} != {w!r}"
    for v, k in zip(values, keep):
        np.testing.assert_array_equal(v, k)
