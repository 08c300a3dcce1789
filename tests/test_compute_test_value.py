"""config.compute_test_value (Theano 1.0): each op is evaluated on the test values of its
inputs as the graph is built; the mode says what a missing test value does."""

from __future__ import annotations

import os
import pdb
import pickle
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
from tensordsl.graph.test_value import get_test_value
from tensordsl.ifelse import ifelse
from tests.strategies import FLOAT_DTYPES, arrays, elements, shapes

ROOT = Path(__file__).resolve().parents[1]
ON_MODES = ("ignore", "warn", "raise")


@pytest.fixture(params=ON_MODES)
def mode(request):
    with theano.config.change_flags(compute_test_value=request.param):
        yield request.param


def test_tag_test_value_is_checked_against_the_type_on_assignment() -> None:
    x = T.fmatrix("x")
    assert not hasattr(x.tag, "test_value")
    x.tag.test_value = [[1.5, 2.0]]  # Python floats convert, as Theano's filter allows
    assert x.tag.test_value.dtype == np.float32 and x.tag.test_value.shape == (1, 2)
    with pytest.raises(TypeError, match="test value of x"):
        x.tag.test_value = np.zeros((2, 2))  # float64 array into float32: Theano's TypeError
    with pytest.raises(TypeError, match="2-d"):
        x.tag.test_value = np.zeros(3, dtype="float32")
    del x.tag.test_value
    assert not hasattr(x.tag, "test_value")
    x.tag.note = "any attribute"  # a scratchpad, as Theano's tag
    assert x.tag["note"] == "any attribute"
    assert pickle.loads(pickle.dumps(x.tag)) == x.tag


@settings(max_examples=30, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(FLOAT_DTYPES))
def test_test_values_equal_numpy_for_random_shapes(data, dtype) -> None:
    shape = data.draw(shapes(min_dims=1, max_dims=3, min_side=0, max_side=4))
    a = data.draw(arrays(dtype, shape, elements(dtype, -5, 5)))
    b = data.draw(arrays(dtype, shape[-1:], elements(dtype, -5, 5)))
    if data.draw(st.booleans()) and a.ndim >= 1:  # a non-contiguous test value
        a = np.repeat(a, 2, axis=-1)[..., ::2]
    x = T.TensorType(dtype, (None,) * a.ndim)("x")
    v = T.TensorType(dtype, (None,))("v")
    x.tag.test_value, v.tag.test_value = a, b
    with theano.config.change_flags(compute_test_value="raise"):
        y = T.exp(T.tanh(x * v)) - x.sum(axis=-1, keepdims=True)
    want = np.exp(np.tanh(a * b)) - a.sum(axis=-1, keepdims=True)
    got = y.tag.test_value
    assert got.dtype == np.dtype(dtype) and got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5 if dtype == "float32" else 1e-12,
                               atol=1e-5 if dtype == "float32" else 1e-12)
    np.testing.assert_array_equal(x.tag.test_value, a)  # not mutated


def test_a_shape_error_raises_while_the_graph_is_built_naming_the_op(mode) -> None:
    x, w = T.dmatrix("x"), T.dmatrix("w")
    x.tag.test_value, w.tag.test_value = np.ones((5, 4)), np.ones((3, 2))
    with pytest.raises(ValueError, match=r"compute_test_value: Dot fails .*\(5, 4\).*\(3, 2\)"):
        T.dot(x, w)
    v = T.dvector("v")
    v.tag.test_value = np.ones(3)
    with pytest.raises(ValueError, match="compute_test_value: Elemwise"):
        x + v  # (5, 4) + (3,): does not broadcast


def test_constants_and_shared_variables_have_test_values(mode) -> None:
    w = theano.shared(np.arange(6.0).reshape(2, 3), "w")
    x = T.dmatrix("x")
    x.tag.test_value = np.ones((4, 2))
    y = T.dot(x, w) + 1
    np.testing.assert_array_equal(y.tag.test_value, np.ones((4, 2)) @ w.get_value() + 1)
    np.testing.assert_array_equal(get_test_value(T.constant([1.0, 2.0])), [1.0, 2.0])


def test_missing_test_value_raise() -> None:
    x, z = T.dmatrix("x"), T.dmatrix("z")
    x.tag.test_value = np.ones((2, 2))
    with theano.config.change_flags(compute_test_value="raise"):
        with pytest.raises(ValueError, match=r"input 1 \(z\) of Op .* missing default value.* "
                                             r"z has no test value"):
            T.dot(x, z)


def test_missing_test_value_warn_skips_the_op_with_a_user_warning() -> None:
    x, z = T.dmatrix("x"), T.dmatrix("z")
    x.tag.test_value = np.ones((2, 2))
    with theano.config.change_flags(compute_test_value="warn"):
        with pytest.warns(UserWarning, match=r"Cannot compute test value: input 1 \(z\)") as rec:
            y = T.dot(x, z)
    assert rec[0].filename == __file__  # points at the program's line
    assert not hasattr(y.tag, "test_value")


def test_missing_test_value_ignore_is_silent() -> None:
    x, z = T.dmatrix("x"), T.dmatrix("z")
    x.tag.test_value = np.ones((2, 2))
    with theano.config.change_flags(compute_test_value="ignore"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y = T.dot(x, z)
    assert not hasattr(y.tag, "test_value")


def test_pdb_opens_the_post_mortem_debugger_then_skips(monkeypatch) -> None:
    seen = []
    monkeypatch.setattr(pdb, "post_mortem", lambda tb: seen.append(tb))
    x, z = T.dmatrix("x"), T.dmatrix("z")
    x.tag.test_value = np.ones((2, 2))
    with theano.config.change_flags(compute_test_value="pdb"):
        y = T.dot(x, z)
    assert len(seen) == 1 and seen[0] is not None
    assert not hasattr(y.tag, "test_value")


def test_off_computes_nothing() -> None:
    x, w = T.dmatrix("x"), T.dmatrix("w")
    x.tag.test_value, w.tag.test_value = np.ones((5, 4)), np.ones((3, 2))
    y = T.dot(x, w)  # the default: no evaluation, no error
    assert theano.config.compute_test_value == "off" and not hasattr(y.tag, "test_value")


def test_gradients_scan_and_ifelse_get_test_values_and_functions_still_compile() -> None:
    rng = np.random.default_rng(0)
    with theano.config.change_flags(compute_test_value="raise"):
        x, y = T.dmatrix("x"), T.lvector("y")
        x.tag.test_value, y.tag.test_value = rng.random((5, 4)), np.array([0, 1, 2, 0, 1])
        w = theano.shared(rng.random((4, 3)), "w")
        p = T.nnet.softmax(T.dot(x, w))
        cost = -T.mean(T.log(p)[T.arange(y.shape[0]), y])
        gw = T.grad(cost, w)
        np.testing.assert_allclose(gw.tag.test_value, theano.function([x, y], gw)(
            x.tag.test_value, y.tag.test_value), rtol=1e-12)
        acc, _ = theano.scan(lambda row, s: s + row, sequences=x,
                             outputs_info=T.zeros_like(x[0]))
        np.testing.assert_allclose(acc.tag.test_value, np.cumsum(x.tag.test_value, axis=0))
        c = T.lscalar("c")
        c.tag.test_value = 0
        np.testing.assert_allclose(ifelse(c, x * 2, x * 3).tag.test_value,
                                   3 * x.tag.test_value)
        # the step function is checked on the first step's values too
        with pytest.raises(ValueError, match="compute_test_value"):
            theano.scan(lambda row: T.dot(row, T.ones((3, 3))), sequences=x)


def test_compute_test_value_opt_flag() -> None:
    assert theano.config.compute_test_value_opt == "off"
    with theano.config.change_flags(compute_test_value_opt="warn"):
        assert theano.config.compute_test_value_opt == "warn"
    with pytest.raises(ConfigError, match="expected one of off, ignore, warn, raise, pdb"):
        theano.config.compute_test_value_opt = "always"


def test_theano_flags_set_the_mode() -> None:
    env = dict(os.environ, THEANO_FLAGS="compute_test_value=raise")
    env.pop("TENSORDSL_FLAGS", None)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    code = ("import numpy as np, tensordsl as t, tensordsl.tensor as T\n"
            "x = T.dvector('x'); x.tag.test_value = np.ones(3)\n"
            "print(t.config.compute_test_value, (x * 2).tag.test_value.sum())")
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, text=True,
                         capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["raise", "6.0"]
    assert "ignoring" not in out.stderr


def test_random_streams_are_not_advanced_by_test_values() -> None:
    """Computing a sample's test value reads the stream's state without changing it."""
    from tensordsl.sandbox.rng_mrg import MRG_RandomStreams
    from tensordsl.tensor.shared_randomstreams import RandomStreams

    runs = {}
    for mode in ("off", "raise"):
        with theano.config.change_flags(compute_test_value=mode):
            values = []
            for streams in (MRG_RandomStreams, RandomStreams):
                s = streams(123)
                x = T.dvector("x")
                x.tag.test_value = np.ones(3)
                u = s.uniform((3,)) + x
                if mode == "raise":
                    assert u.tag.test_value.shape == (3,)
                    assert np.all((u.tag.test_value >= 1) & (u.tag.test_value < 2))
                f = theano.function([x], [u, s.normal((2,))])
                values += f(np.ones(3)) + f(np.ones(3))
            runs[mode] = values
    for a, b in zip(runs["off"], runs["raise"]):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("program", ["rbm", "lstm"])
def test_tutorial_programs_run_unchanged_under_ignore(program) -> None:
    """Programs without test values: 'ignore' evaluates only what constants and shared
    variables give, and the results are those of 'off'."""
    from tests.tutorials import load_program

    p = load_program(program)
    kwargs = {"n_epochs": 1} if program == "rbm" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        want = p.run(**kwargs)
        with theano.config.change_flags(compute_test_value="ignore"):
            got = p.run(**kwargs)
    _assert_same(got, want, program)


def _assert_same(got, want, where: str) -> None:
    """Equal nested dicts / lists of arrays and numbers."""
    if isinstance(want, dict):
        assert got.keys() == want.keys(), where
        for key in want:
            _assert_same(got[key], want[key], f"{where}[{key!r}]")
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want), where
        for i, (g, w) in enumerate(zip(got, want)):
            _assert_same(g, w, f"{where}[{i}]")
    else:
        np.testing.assert_array_equal(got, want, err_msg=where)


def test_gradients_through_scan_and_ifelse_carry_test_values() -> None:
    """The rules of inner-graph ops build over placeholders with test values off, then
    the re-attached gradients get theirs: equal to what the compiled function computes."""
    rng = np.random.default_rng(3)
    with theano.config.change_flags(compute_test_value="raise"):
        x = T.dmatrix("x")
        x.tag.test_value = rng.random((5, 4))
        w = theano.shared(rng.random((4, 4)), "w")
        h, _ = theano.scan(lambda row, s: T.tanh(T.dot(s, w) + row), sequences=x,
                           outputs_info=T.zeros_like(x[0]))
        grads = T.grad((h ** 2).sum(), [w, x])
        c = T.lscalar("c")
        c.tag.test_value = 1
        g_if = T.grad(ifelse(c, (x * w.sum()).sum(), x.sum()), w)
        v = T.dvector("v")
        v.tag.test_value = rng.random(4)
        hess = theano.gradient.hessian((v ** 3).sum(), v)
        f = theano.function([x, c, v], grads + [g_if, hess])
    got = f(x.tag.test_value, 1, v.tag.test_value)
    for value, var in zip(got, grads + [g_if, hess]):
        np.testing.assert_allclose(var.tag.test_value, value, rtol=1e-12)
    np.testing.assert_allclose(got[-1], np.diag(6 * v.tag.test_value), rtol=1e-12)
