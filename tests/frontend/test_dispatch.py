"""Signature dispatch: caching, explicit signatures, keywords, weak scalars, targets."""

import importlib

import numpy as np
import pytest

import tensordsl
import tensordsl.frontend.dispatcher as dispatcher_module
import tensordsl.frontend.statements as statements_module
import tensordsl.runtime.function as function_module
from tensordsl import tensor as T


def scaled_sum(x, y, scale=2.0):
    return (x * scale + y).sum()


def test_second_call_does_not_parse_or_compile(monkeypatch):
    counts = {"parse": 0, "build": 0, "compile": 0}

    def counting(name, real):
        def wrapper(*args, **kwargs):
            counts[name] += 1
            return real(*args, **kwargs)
        return wrapper

    statements_module._PARSED.pop(scaled_sum.__code__, None)
    monkeypatch.setattr(statements_module, "parse_function",
                        counting("parse", statements_module.parse_function))
    monkeypatch.setattr(dispatcher_module, "build", counting("build", dispatcher_module.build))
    monkeypatch.setattr(function_module, "function", counting("compile", function_module.function))
    f = tensordsl.compile(scaled_sum)
    x, y = np.arange(4.0), np.ones(4)
    first = f(x, y)
    assert counts == {"parse": 1, "build": 1, "compile": 1}
    for _ in range(3):
        assert f(x + 1.0, y) == scaled_sum(x + 1.0, y)
    assert counts == {"parse": 1, "build": 1, "compile": 1}
    assert first == scaled_sum(x, y)
    # a new signature (float32) builds and compiles again, without parsing again
    f(x.astype(np.float32), y.astype(np.float32))
    assert counts == {"parse": 1, "build": 2, "compile": 2}
    assert len(f.signatures) == 2
    assert f.stats["compiles"] == 2


def test_size_one_dims_are_part_of_the_signature():
    f = tensordsl.compile(scaled_sum)
    f(np.ones((3, 1)), np.ones((1, 4)))
    f(np.ones((3, 4)), np.ones((3, 4)))
    assert [s.rsplit(", static", 1)[0] for s in f.signatures] == [
        "float64[:, 1], float64[1, :]", "float64[:, :], float64[:, :]"]
    np.testing.assert_allclose(f(np.ones((2, 1)), np.ones((1, 5))),
                               scaled_sum(np.ones((2, 1)), np.ones((1, 5))))


def test_keyword_calls_and_defaults():
    f = tensordsl.compile(scaled_sum)
    x, y = np.arange(3.0), np.arange(3.0) * 2
    assert f(x, y=y) == scaled_sum(x, y=y)
    assert f(y=y, x=x, scale=0.5) == scaled_sum(x, y, scale=0.5)
    assert f(x, y) == scaled_sum(x, y)
    with pytest.raises(TypeError):
        f(x)


def weak_mul(x, a):
    return x * a


def test_python_scalars_are_weak():
    f = tensordsl.compile(weak_mul)
    x32 = np.arange(3, dtype=np.float32)
    assert f(x32, 2.5).dtype == np.float32
    assert f(np.arange(3, dtype=np.int32), 2).dtype == np.int32
    assert f(np.arange(3, dtype=np.int32), 2.5).dtype == np.float64
    assert f(x32, np.float64(2.5)).dtype == np.float64  # numpy scalars are strong
    assert type(f(2.0, 3)) is float and f(2.0, 3) == 6.0
    assert type(f(2, 3)) is int and f(2, 3) == 6


def test_explicit_signature_compiles_eagerly():
    f = tensordsl.compile(weak_mul, signature="f8[:,:], f8")
    assert f.stats["compiles"] == 1
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(f(x, 2.0), x * 2.0)
    assert f.stats["compiles"] == 1
    with pytest.raises(TypeError, match="no compiled signature"):
        f(np.arange(3.0), 2.0)
    g = tensordsl.compile(weak_mul, signature=[T.fvector(), T.fscalar()])
    assert g(np.ones(2, np.float32), np.float32(3)).dtype == np.float32


def test_bad_signature_string():
    with pytest.raises(ValueError, match="cannot read"):
        tensordsl.compile(weak_mul, signature="f8[:], q9")


def test_decorator_forms():
    f1 = tensordsl.compile(weak_mul)
    f2 = tensordsl.compile(target="numpy")(weak_mul)
    f3 = tensordsl.compile(weak_mul, target="numpy", mode="FAST_COMPILE")
    for f in (f1, f2, f3):
        assert f(np.ones(2), 3.0).tolist() == [3.0, 3.0]
        assert f.py_func is weak_mul


def test_unknown_and_missing_targets():
    with pytest.raises(ValueError, match="unknown target"):
        tensordsl.compile(weak_mul, target="cuda")
    try:
        importlib.import_module("tensordsl.backends.opencl")
    except ImportError:
        with pytest.raises(tensordsl.CompileError, match="opencl"):
            tensordsl.compile(weak_mul, target="opencl")


def flagged(x, use_exp):
    if use_exp:
        return np.exp(x)
    return x + 1.0


def test_static_bool_argument_specialises():
    f = tensordsl.compile(flagged)
    x = np.arange(3.0)
    np.testing.assert_allclose(f(x, True), np.exp(x))
    np.testing.assert_allclose(f(x, False), x + 1.0)
    assert len(f.signatures) == 2
    assert "np.exp" in f.source("python", x, True)
    assert "np.exp" not in f.source("python", x, False)


def test_symbolic_call_inside_function():
    f = tensordsl.compile(scaled_sum)
    x, y = T.dvector("x"), T.dvector("y")
    out = f(x, y) * 3.0
    g = tensordsl.function([x, y], out)
    a, b = np.arange(3.0), np.ones(3)
    np.testing.assert_allclose(g(a, b), 3.0 * scaled_sum(a, b))


def test_default_target_is_fast_runs_backend():
    from tensordsl.runtime.mode import backend_name, get_mode

    assert tensordsl.compile(scaled_sum).target == backend_name(get_mode("FAST_RUN"))


def test_graph_source_inspect():
    f = tensordsl.compile(scaled_sum, target="numpy")  # FAST_COMPILE: Reduce stays unfused
    x = np.arange(3.0)
    f(x, x)
    fgraph = f.graph(x, x)
    assert len(fgraph.inputs) == 2 and len(fgraph.outputs) == 1
    text = f.source("python")
    assert text.startswith("def scaled_sum(") and "return" in text
    assert "Reduce" in f.source("numpy")
    types = f.inspect()["float64[:], float64[:], static default 2.0"]
    assert types["x"] == "Tensor[float64](?)"
    assert types["scale"].startswith("static float")


def test_inputs_are_not_mutated_and_outputs_are_owned():
    f = tensordsl.compile(weak_mul)
    x = np.arange(3.0)
    out = f(x, 1.0)
    out[0] = 100.0
    assert x[0] == 0.0


def repeat_square(x, n):
    for _ in range(n):
        x = x * x
    return x


def test_static_argnames_specialise_on_value():
    f = tensordsl.compile(repeat_square, static_argnames=("n",))
    x = np.array([1.1, 0.9])
    np.testing.assert_allclose(f(x, 2), repeat_square(x, 2))
    np.testing.assert_allclose(f(x, n=3), repeat_square(x, 3))
    assert len(f.signatures) == 2
    with pytest.raises(tensordsl.CompileError, match="range bound"):
        tensordsl.compile(repeat_square)(x, 2)  # n is a run-time int without static_argnames
    with pytest.raises(ValueError, match="no parameter"):
        tensordsl.compile(repeat_square, static_argnames=("m",))


def test_c_source_of_a_specialisation():
    f = tensordsl.compile(weak_mul)
    x = np.arange(3.0)
    f(x, 2.0)
    try:
        importlib.import_module("tensordsl.backends.c")
    except ImportError:
        with pytest.raises(tensordsl.CompileError, match="C backend"):
            f.source("c", x, 2.0)
        return
    text = f.source("c", x, 2.0)
    assert "void td_kernel(" in text and "mul" in text
    with pytest.raises(ValueError, match="unknown source target"):
        f.source("fortran", x, 2.0)


def test_source_c_of_a_0d_function():
    """Regression: 0-d kernels are closures, and .source('c') read `fn.__self__`."""
    from tests.frontend import corpus_scalar as mod

    text = mod.exp_mul_add.source("c", 1.0, 2.0)
    assert "td_kernel" in text and "exp" in text
    assert mod.exp_mul_add(1.0, 2.0) == pytest.approx(np.exp(1.0) * 2.0 + 1.0, rel=1e-15)
