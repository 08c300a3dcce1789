"""softmax of a vector, T.Lop/Rop, specify_shape, printing.pprint/Print, theano.compile,
config.warn, config.compute_test_value and THEANO_FLAGS."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.errors import ConfigError
from tests.strategies import FLOAT_DTYPES, arrays, elements
from tests.tensor.helpers import MODES, run

ROOT = Path(__file__).resolve().parents[2]


def _softmax(a: np.ndarray) -> np.ndarray:
    a = a.astype("float64")
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.mark.parametrize("mode", MODES)
@settings(max_examples=20, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(FLOAT_DTYPES), n=st.integers(1, 5))
def test_softmax_of_a_vector_is_a_row(mode, data, dtype, n) -> None:
    a = data.draw(arrays(dtype, (n,), elements(dtype, -20, 20)))
    x = T.vector("x", dtype=dtype)
    for fn in (T.nnet.softmax, T.softmax):
        with pytest.warns(DeprecationWarning, match=r"\(1, n\)"):
            out = fn(x)
        assert out.ndim == 2 and out.broadcastable == (True, False)
        got = run([x], out, [a], mode)
        assert got.shape == (1, n) and got.dtype == np.dtype(dtype)
        np.testing.assert_allclose(got[0], _softmax(a), rtol=1e-5, atol=1e-7)


def test_softmax_of_a_matrix_is_unchanged_and_silent() -> None:
    x = T.dmatrix("x")
    a = np.random.default_rng(0).normal(size=(3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = T.nnet.softmax(x)
    np.testing.assert_allclose(theano.function([x], out)(a), _softmax(a), rtol=1e-12)


def test_softmax_row_per_scan_step() -> None:
    # a Theano 1.0 program: each step's softmax is a (1, n) row indexed as a matrix
    xs = T.dmatrix("xs")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        probs, _ = theano.scan(lambda row: T.nnet.softmax(row)[0, :], sequences=xs)
    a = np.random.default_rng(1).normal(size=(4, 3))
    np.testing.assert_allclose(theano.function([xs], probs)(a), _softmax(a), rtol=1e-12)


def test_lop_rop_in_tensor_namespace() -> None:
    W, v = T.dmatrix("W"), T.dvector("v")  # noqa: N806
    y = T.dot(v, W)
    u, vv = T.dvector("u"), T.dvector("vv")
    w_val = np.arange(6.0).reshape(2, 3)
    lop = theano.function([W, u], T.Lop(y, v, u))(w_val, np.arange(3.0))
    np.testing.assert_allclose(lop, w_val @ np.arange(3.0))
    rop = theano.function([v, W, vv], T.Rop(y, v, vv), on_unused_input="ignore")(
        np.ones(2), w_val, np.array([1.0, 2]))
    np.testing.assert_allclose(rop, np.array([1.0, 2]) @ w_val)


@pytest.mark.parametrize("mode", MODES)
def test_specify_shape(mode) -> None:
    x, n = T.dmatrix("x"), T.lscalar("n")
    y = T.specify_shape(x, (2, 3))
    assert y.type.shape == (2, 3)
    assert T.specify_shape(x, (n, 3)).type.shape == (None, 3)
    f = theano.function([x], y * 2, mode=mode)
    np.testing.assert_array_equal(f(np.ones((2, 3))), np.full((2, 3), 2.0))
    with pytest.raises(AssertionError, match=r"has shape \(3, 3\), expected \(2, 3\)"):
        f(np.ones((3, 3)))
    with pytest.raises(ValueError, match="2 dims"):
        T.specify_shape(x, (2,))
    g = theano.function([x], T.grad(T.sum(y ** 2), x), mode=mode)
    np.testing.assert_allclose(g(np.ones((2, 3))), np.full((2, 3), 2.0))


def test_pprint_is_pp() -> None:
    x = T.dvector("x")
    assert theano.printing.pprint is theano.printing.pp
    assert theano.printing.pprint(x * 2) == theano.printing.pp(x * 2)


@pytest.mark.parametrize("mode", MODES)
def test_print_op(mode, capsys) -> None:
    x = T.dvector("x")
    y = theano.printing.Print("doubled")(x * 2)
    f = theano.function([x], y.sum(), mode=mode)
    assert float(f(np.array([1.0, 2.0]))) == 6.0
    assert capsys.readouterr().out == f"doubled __str__ = {np.array([2.0, 4.0])}\n"
    f(np.array([3.0]))
    assert capsys.readouterr().out == "doubled __str__ = [6.]\n"
    z = theano.printing.Print("stats", attrs=("shape", "sum"))(x)
    theano.function([x], z, mode=mode)(np.array([1.0, 2.0]))
    assert capsys.readouterr().out == "stats shape = (2,)\nstats sum = 3.0\n"
    g = theano.function([x], T.grad(T.sum(y), x), mode=mode)(np.array([5.0]))
    np.testing.assert_array_equal(g, [2.0])


def test_compile_module_path() -> None:
    from tensordsl.compile import function
    from tensordsl.compile.io import In

    assert function is theano.function and In is theano.In
    assert theano.compile.function is theano.function
    assert theano.compile.io.In is theano.In
    assert theano.compile.mode.Mode is theano.Mode
    x = T.dscalar("x")
    f = theano.compile.function([In(x, value=3.0)], x * 2)
    assert float(f()) == 6.0
    assert callable(theano.compile)  # still the @tensordsl.compile decorator


def test_config_warn_namespace() -> None:
    assert theano.config.warn.sum_div_dimshuffle_bug is False
    assert theano.config.warn.any_flag_name is False
    theano.config.warn.subtensor_merge_bug = True
    try:
        assert theano.config.warn.subtensor_merge_bug is True
    finally:
        theano.config.warn.subtensor_merge_bug = False


def test_compute_test_value() -> None:
    assert theano.config.compute_test_value == "off"
    with theano.config.change_flags(compute_test_value="ignore"):
        assert theano.config.compute_test_value == "ignore"
    for value in ("warn", "raise", "pdb"):  # implemented: tests/test_compute_test_value.py
        with theano.config.change_flags(compute_test_value=value):
            assert theano.config.compute_test_value == value
    with pytest.raises(ConfigError, match="expected one of"):
        theano.config.compute_test_value = "sometimes"
    assert theano.config.compute_test_value == "off"


def _python(code: str, theano_flags: str | None, tensordsl_flags: str | None
            ) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    for name, value in (("THEANO_FLAGS", theano_flags), ("TENSORDSL_FLAGS", tensordsl_flags)):
        env.pop(name, None)
        if value is not None:
            env[name] = value
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, text=True,
                          capture_output=True, timeout=120)


def test_theano_flags() -> None:
    code = ("import tensordsl as t; c = t.config; "
            "print(c.floatX, c.mode, c.device, c.warn.sum_div_dimshuffle_bug)")
    both = _python(code, "floatX=float32,mode=FAST_COMPILE,device=cuda0,optimizer=fast_run,"
                   "warn.sum_div_dimshuffle_bug=True", "mode=FAST_RUN")
    assert both.returncode == 0, both.stderr
    assert both.stdout.split() == ["float32", "FAST_RUN", "cpu", "True"]
    assert both.stderr.count("UserWarning") == 1
    assert "ignoring the Theano-only entries device=cuda0, optimizer=fast_run" in both.stderr
    alone = _python(code, "mode=FAST_COMPILE", None)
    assert alone.stdout.split() == ["float64", "FAST_COMPILE", "cpu", "False"]
    assert "Warning" not in alone.stderr
    bad = _python(code, "floatX=float33", None)
    assert bad.returncode != 0 and "floatX" in bad.stderr
