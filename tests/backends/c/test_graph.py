"""Whole functions under the C backend against the numpy reference backend: fused
patterns from the rewrite pipeline, fallbacks, errors, output ownership."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tensordsl.ops.fused import FusedElemwise
from tensordsl.runtime.mode import Mode, backend_name, get_mode

from .kernels import assert_matches, multi_op_kernel, run_c
from .strategies import broadcast_to, operand, shapes

C_RUN = get_mode("FAST_RUN").including()  # every rewrite, C backend (device=cpu)
C_ONLY = Mode("C_ONLY", backend="c")  # no rewrites: one kernel per Elemwise/Reduce node
REFERENCE = Mode("REFERENCE", backend="numpy")


def both(inputs, outputs):
    """The function compiled for the C backend (fused and unfused) and the reference."""
    assert backend_name(C_RUN) == "c"
    return [tensordsl.function(inputs, outputs, mode=m, on_unused_input="ignore")
            for m in (C_RUN, C_ONLY, REFERENCE)]


def check(fns, args, inexact=True):
    """Same dtypes; values equal (integers) or close: reductions sum in another order than
    numpy, so floats get rtol/atol of a few hundred eps of the inputs' scale (|x| <= 3)."""
    fused, plain, ref = fns
    want = ref(*args)
    for f in (fused, plain):
        got = f(*args)
        got, want_l = (got, want) if isinstance(got, list) else ([got], [want])
        for g, w in zip(got, want_l):
            if not inexact or w.dtype.kind != "f":
                assert_matches(g, w, False, "graph output")
                continue
            assert g.dtype == w.dtype and g.shape == w.shape
            tol = 256 * np.finfo(w.dtype).eps
            np.testing.assert_allclose(g, w, rtol=tol, atol=10 * tol)


def patterns(dtype):
    """(name, inputs, outputs) of fused patterns over 2-d x, y and a row vector b."""
    x, y = T.matrix("x", dtype=dtype), T.matrix("y", dtype=dtype)
    b = T.vector("b", dtype=dtype)
    return [
        ("chain", [x, y, b], [T.exp(x) * y + b]),
        ("multi-output", [x, y, b], [x * y + b, T.tanh(x - y), T.sqrt(T.abs(x)) * 2]),
        ("reduce-rows", [x, y, b], [T.sum(T.exp(x) * y, axis=1)]),
        ("reduce-cols", [x, y, b], [T.max(x + b, axis=0), T.min(x * y, axis=0)]),
        ("reduce-all", [x, y, b], [T.sum(x * y), T.prod(T.sign(x))]),
        ("softmax", [x, y, b], [T.nnet.softmax(x + b)]),
        ("logsumexp", [x, y, b], [T.logsumexp(x, axis=1)]),
        ("compare-switch", [x, y, b], [T.switch(x > y, x, y * b), T.cast(x >= 0.5, "int8")]),
        ("mean-var", [x, y, b], [T.mean(x, axis=0), T.var(y, axis=1)]),
    ]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", [p[0] for p in patterns("float64")])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_fused_patterns_match_reference(dtype, name, data):
    _, inputs, outputs = next(p for p in patterns(dtype) if p[0] == name)
    fns = _compiled(dtype, name, inputs, outputs)
    shape = data.draw(shapes(2, max_side=6))
    if name in ("softmax", "logsumexp", "reduce-cols") or "reduce" in name:
        shape = (max(shape[0], 1), max(shape[1], 1))  # max/min of nothing raises
    elems = st.floats(-3, 3, width=32 if dtype == "float32" else 64)
    xv = data.draw(operand(shape, dtype, elems))
    yv = data.draw(operand(data.draw(broadcast_to(shape)), dtype, elems))
    bv = data.draw(operand((shape[1],), dtype, elems))
    if name.startswith("reduce") or name in ("mean-var",):
        yv = np.ascontiguousarray(np.broadcast_to(yv, shape)) if name == "mean-var" else yv
    check(fns, [xv, yv, bv])


_CACHE: dict = {}


def _compiled(dtype, name, inputs, outputs):
    key = (dtype, name)
    if key not in _CACHE:
        _CACHE[key] = both(inputs, outputs)
    return _CACHE[key]


def test_black_scholes_is_one_kernel_and_accurate():
    """The issue's compute-bound workload: one compiled fused kernel (the twice-used
    sigma*sqrt(T) and its sqrt inside it, no node outside); error vs float64 numpy
    within 1e-11 (float64) and 2e-3 (float32)."""
    from scipy.special import erf

    rng = np.random.default_rng(0)
    args = [rng.uniform(50, 150, 5000), rng.uniform(50, 150, 5000), rng.uniform(.25, 2, 5000)]
    sqrt_t = np.sqrt(args[2])
    d1 = (np.log(args[0] / args[1]) + 0.065 * args[2]) / (0.3 * sqrt_t)
    d2 = d1 - 0.3 * sqrt_t
    want = args[0] * (0.5 + 0.5 * erf(d1 / np.sqrt(2))) - args[1] * np.exp(-0.02 * args[2]) \
        * (0.5 + 0.5 * erf(d2 / np.sqrt(2)))
    for dtype, tol in (("float64", 1e-11), ("float32", 2e-3)):
        with tensordsl.config.change_flags(floatX=dtype):
            S, K, Tm = (T.vector(n, dtype=dtype) for n in "SKT")
            st_ = T.sqrt(Tm)
            e1 = (T.log(S / K) + 0.065 * Tm) / (0.3 * st_)
            e2 = e1 - 0.3 * st_
            out = S * (0.5 + 0.5 * T.erf(e1 * 0.7071067811865476)) - K * T.exp(-0.02 * Tm) \
                * (0.5 + 0.5 * T.erf(e2 * 0.7071067811865476))
            f = tensordsl.function([S, K, Tm], out)
        nodes = f.maker.fgraph.toposort()
        assert len(nodes) == 1 and isinstance(nodes[0].op, FusedElemwise), nodes
        assert all(step.compiled for step in f.thunk.steps)  # all compiled, no numpy fallback
        got = f(*[a.astype(dtype) for a in args])
        assert got.dtype == dtype
        assert np.max(np.abs(got - want)) < tol


def test_fallback_ops_run_and_are_logged_once(caplog):
    x = T.dmatrix("x")
    with caplog.at_level(logging.INFO, logger="tensordsl.backends.c"):
        f = tensordsl.function([x], [T.argmax(x, axis=1), T.dot(x, x.T) + 1], mode=C_RUN)
    lines = [r for r in caplog.records if "numpy perform" in r.getMessage()]
    assert len(lines) == 1 and "Argmax" in lines[0].getMessage()
    a = np.random.default_rng(1).random((4, 4))
    am, d = f(a)
    np.testing.assert_array_equal(am, np.argmax(a, axis=1))
    np.testing.assert_allclose(d, a @ a.T + 1, rtol=1e-12)


def test_single_kernel_function_is_one_foreign_call():
    a, b = T.dscalar("a"), T.dscalar("b")
    f = tensordsl.function([a, b], a + b, mode=C_RUN)
    assert len(f.thunk.steps) == 1 and f.thunk.run is f.thunk.steps[0].call
    assert f(1.5, 2.25) == 3.75 and f(np.float64(1), 2.0).dtype == np.float64


def test_outputs_are_fresh_every_call():
    x = T.dvector("x")
    f = tensordsl.function([x], [x * 2, x + 1], mode=C_RUN)
    v = np.arange(4.0)
    first, second = f(v), f(v)
    for p, q in zip(first, second):
        assert not np.may_share_memory(p, q) and not np.may_share_memory(p, v)
    first[0][:] = -1
    np.testing.assert_array_equal(f(v)[0], v * 2)


def test_shape_mismatch_is_a_value_error_naming_the_input():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = tensordsl.function([x, y], x + y, mode=C_RUN)
    with pytest.raises(ValueError, match="'?x'?.*shape \\(2, 3\\).*'?y'?.*shape \\(2, 4\\)"):
        f(np.zeros((2, 3)), np.zeros((2, 4)))


def test_runner_rejects_wrong_dtype_and_rank_before_running():
    from tensordsl.ops import scalar as ps

    kernel = multi_op_kernel(2, ("float64", "float64"), [(ps.add, (0, 1))])
    with pytest.raises(ValueError, match="in1.*dtype float64, got int64"):
        run_c(kernel, [np.zeros((2, 2)), np.zeros((2, 2), dtype="int64")])
    with pytest.raises(ValueError, match="in0.*2-d"):
        run_c(kernel, [np.zeros(2), np.zeros((2, 2))])
    swapped = np.arange(4.0).reshape(2, 2).astype(">f8")  # same values, other byte order
    np.testing.assert_array_equal(run_c(kernel, [swapped, swapped])[0], 2 * swapped)


@pytest.mark.parametrize("dtype", ["int32", "int64", "bool"])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_integer_and_bool_graphs(dtype, data):
    x, y = T.matrix("x", dtype=dtype), T.matrix("y", dtype=dtype)
    if dtype == "bool":
        outs = [x & y, x | ~y, T.sum(x, axis=0), T.any(x, axis=1), T.all(y)]
    else:
        outs = [x // y, x % y, x * y - 3, T.maximum(x, y), T.sum(x * y, axis=1), T.max(x)]
    fns = _compiled(dtype, "int", [x, y], outs)
    shape = data.draw(shapes(2, max_side=5))
    shape = (max(shape[0], 1), max(shape[1], 1))
    xv = data.draw(operand(shape, dtype))
    yv = data.draw(operand(data.draw(broadcast_to(shape)), dtype))
    check(fns, [xv, yv], inexact=False)


def test_seed_training_is_digit_exact_under_fast_run():
    """The seed's training loop: FAST_RUN (C) prints exactly what numpy computes."""
    x, target = T.fvector("x"), T.fscalar("target")
    results = []
    for mode in (C_RUN, REFERENCE):
        W = tensordsl.shared(np.asarray([0.1, 0.25, 0.15, 0.3]), "W")
        y = (x * W).sum()
        cost = T.sqr(target - y)
        (gW,) = tensordsl.grad(cost, [W])
        f = tensordsl.function([x, target], y, updates=[(W, W - 0.1 * gW)], mode=mode)
        trace = []
        for _ in range(10):
            trace.append(repr(f([1.0, 1.0, 1.0, 1.0], 100.0)))
            trace.append(repr(W.get_value()))
        results.append(trace)
    assert results[0] == results[1]


@pytest.mark.parametrize("dtype", ["complex128", "float16"])
def test_dtypes_without_c_type_fall_back_per_node(dtype, caplog):
    x, y = T.vector("x", dtype=dtype), T.vector("y", dtype=dtype)
    with caplog.at_level(logging.INFO, logger="tensordsl.backends.c"):
        f = tensordsl.function([x, y], [x * y + x, T.sum(x)], mode=C_RUN)
    assert any("numpy perform" in r.getMessage() for r in caplog.records)
    a = (np.arange(5) + 0.5).astype(dtype)
    got = f(a, a)
    np.testing.assert_allclose(got[0], a * a + a, rtol=1e-3)
    assert got[0].dtype == dtype


def test_large_outputs_are_reused_only_once_the_caller_drops_them():
    x = T.dvector("x")
    f = tensordsl.function([x], x * 2, mode=C_RUN)
    v = np.arange(300_000.0)
    a = f(v)
    b = f(v)  # `a` is still held: a new buffer
    assert not np.shares_memory(a, b)
    view = b[::2]
    address = b.ctypes.data
    del b
    c = f(v)  # a view of the last output is alive: still a new buffer
    assert c.ctypes.data != address
    del view
    address = c.ctypes.data
    del c
    d = f(v * 3)  # nobody holds the last output any more: its buffer is reused
    assert d.ctypes.data == address
    np.testing.assert_array_equal(d, v * 6)
    np.testing.assert_array_equal(a, v * 2)


def test_inplace_output_of_a_multi_output_kernel_keeps_the_other_outputs_right():
    """Output 0 written into input 0 while outputs 1 and 2 read input 0 (a Rop graph
    fused this way): the unit is built without `restrict`, so gcc cannot reload the
    input after the in-place store."""
    from tensordsl.backends.c.schedule import kernel_runner
    from tensordsl.kernel.evaluate import evaluate_kernel
    from tensordsl.ops import scalar as ps

    kernel = multi_op_kernel(1, ("float64",), [(ps.get("tanh"), (0,)), (ps.sqr, (0,)),
                                               (ps.get("exp"), (0,))])
    for n in (1, 5, 100_000):
        x = np.linspace(-1, 1, n)
        want = evaluate_kernel(kernel, [x.copy()])
        target = x.copy()
        got = kernel_runner(kernel, ["x"], "test", ((0, 0),)).call([target])
        assert got[0] is target
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-14)


def test_rop_graph_with_inplace_fusion_matches_reference():
    from tensordsl.gradient import Rop

    x, W, v = T.dvector("x"), T.dmatrix("W"), T.dvector("v")
    out = Rop(T.tanh(T.dot(x, W)), x, v)
    args = [np.array([0.0, 1.0]), np.array([[0.0], [1.0]]), np.array([0.0, 1.0])]
    got = tensordsl.function([x, W, v], out, mode=C_RUN)(*args)
    want = tensordsl.function([x, W, v], out, mode=REFERENCE)(*args)
    np.testing.assert_allclose(got, want, rtol=1e-14)


def _thresholds(f):
    """The parallel threshold of each kernel node of compiled function `f`."""
    from tensordsl.backends.c.render import parallel_threshold
    from tensordsl.kernel.lower import lower_node

    lowered = [lower_node(n) for n in f.maker.fgraph.toposort()]
    return [parallel_threshold(kernel) for kernel, _ in filter(None, lowered)]


def test_large_elementwise_kernels_split_across_threads_match_numpy():
    """Sizes above the parallel threshold, on the flat path (contiguous), the strided path
    (a transposed operand, a broadcast row) and with a transcendental (lower threshold)."""
    rng = np.random.default_rng(3)
    x, y, r = T.dmatrix("x"), T.dmatrix("y"), T.drow("r")
    f = tensordsl.function([x, y, r], [x * 2.0 + y, T.exp(x) * r], mode=C_RUN)
    a, b = rng.standard_normal((900, 700)), rng.standard_normal((700, 900)).T
    row = rng.standard_normal((1, 700))
    assert all(a.size > t for t in _thresholds(f)) and _thresholds(f)
    for args in ((a, np.ascontiguousarray(b), row), (a, b, row), (a.T.copy().T, b, row)):
        got = f(*args)
        np.testing.assert_array_equal(got[0], args[0] * 2.0 + args[1])
        assert_matches(got[1], np.exp(args[0]) * args[2], True, "exp(x) * r", "exp")


def test_parallel_threshold_follows_the_kernels_cost():
    """Cheap kernels need many elements before waking the workers pays, costly ones few."""
    from tensordsl.backends.c.render import PARALLEL_NS

    x = T.dvector("x")
    add, exp, erf = (_thresholds(tensordsl.function([x], expr, mode=C_RUN))
                     for expr in (x + 1.0, T.exp(x) * 2.0,
                                  T.erf(T.log(x) / T.sqrt(x)) + T.exp(x)))
    assert add[0] > exp[0] > erf[0] >= 1
    assert add[0] * 0.35 >= PARALLEL_NS  # a cheap element is estimated at 0.35 ns
