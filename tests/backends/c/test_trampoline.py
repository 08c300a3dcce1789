"""The C trampoline (`tensordsl/backends/c/trampoline.py`): the `__call__` of Functions
whose graph is one 0-d kernel. Same values, dtypes, errors and warnings as the Python
path and the numpy reference for every kind of argument; fresh outputs; no leaks; built
once and cached; absent (results unchanged) when it cannot be built."""

from __future__ import annotations

import gc
import inspect
import os
import subprocess
import sys
import textwrap
import tracemalloc
import warnings
import weakref

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tensordsl.backends.c import build, trampoline
from tensordsl.config import config
from tensordsl.runtime.mode import get_mode

from .conftest import RENDERED
from .kernels import assert_matches

C_RUN = get_mode("FAST_RUN")
REFERENCE = get_mode("FAST_COMPILE")  # the numpy reference backend
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
DTYPES = ("float64", "float32", "int64", "int32")
HAVE_TRAMPOLINE = build.find_compiler() is not None and trampoline.include_dirs() is not None

BINARY = [("add", lambda x, y: x + y), ("sub", lambda x, y: x - y),
          ("mul", lambda x, y: x * y), ("maximum", T.maximum), ("minimum", T.minimum)]
UNARY = [("neg", lambda x: -x), ("abs", abs), ("exp", T.exp), ("double", lambda x: x * 2)]


class Sub(np.ndarray):
    """An ndarray subclass (the trampoline leaves those to the Python path)."""


def python_path(f, *args, **kwargs):
    """The call as the Python path makes it (the trampoline's fallback)."""
    return tensordsl.Function.__call__(f, *args, **kwargs)


def outcome(fn, args, kwargs):
    """('ok', result, warnings) or ('err', type, message, warnings) of one call."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn(*args, **kwargs)
        except Exception as err:  # compared between the paths
            return ("err", type(err), str(err), [str(w.message) for w in caught])
    return ("ok", result, [str(w.message) for w in caught])


def same_outcome_as_python_path(f, args):
    """f(*args) and the Python path give the same result, or the same error; returns both
    outcomes."""
    got, slow = outcome(f, args, {}), outcome(lambda *a: python_path(f, *a), args, {})
    assert got[0] == slow[0], (args, got, slow)
    if got[0] == "ok":
        same_result(got[1], slow[1], exact=True)
    else:
        assert got[1:3] == slow[1:3]
    return got, slow


def same_result(got, want, exact):
    """Same container, array types and dtypes; equal values, or unless `exact` close:
    glibc's exp and numpy's differ by a few ulp, which a chain of ops amplifies (the
    C backend's own property tests bound one op; here 256 eps relative, as in
    test_graph.py)."""
    assert type(got) is type(want)
    got_l, want_l = (got, want) if isinstance(got, (list, tuple)) else ([got], [want])
    assert len(got_l) == len(want_l)
    for g, w in zip(got_l, want_l):
        assert type(g) is np.ndarray and g.ndim == 0, type(g)
        if exact or w.dtype.kind != "f":
            assert_matches(g, w, False, "trampoline output")
        else:
            assert g.dtype == w.dtype
            np.testing.assert_allclose(g, w, rtol=256 * np.finfo(w.dtype).eps, atol=0)


@st.composite
def graphs(draw):
    """(inputs, outputs, inexact): 1-4 scalar inputs of mixed dtypes, all used, combined
    by random unary and binary ops; one or two outputs (list or tuple)."""
    dtypes = draw(st.lists(st.sampled_from(DTYPES), min_size=1, max_size=4))
    inputs = [T.scalar(f"x{i}", dtype=d) for i, d in enumerate(dtypes)]
    inexact = False
    expr = inputs[0]
    for x in inputs[1:]:
        _, op = draw(st.sampled_from(BINARY))
        expr = op(expr, x) if draw(st.booleans()) else op(x, expr)
    for _ in range(draw(st.integers(1, 3))):
        name, op = draw(st.sampled_from(UNARY))
        inexact |= name == "exp"
        expr = op(expr)
    shape = draw(st.sampled_from(["single", "single", "list", "tuple"]))
    if shape == "single":
        return inputs, expr, inexact
    second = expr * inputs[-1] + 1
    return inputs, [expr, second] if shape == "list" else (expr, second), inexact


def argument(draw, dtype):
    """A value for a scalar input of `dtype`, of a random kind."""
    value = draw(st.integers(-5, 5)) + draw(st.sampled_from([0.0, 0.5, 0.25]))
    if dtype.startswith("int"):
        value = float(int(value))
    if draw(st.integers(0, 3)):  # mostly what the trampoline takes itself
        kind = draw(st.sampled_from(["float", "array", "readonly"]))
    else:
        kind = draw(st.sampled_from(["scalar", "int", "list", "wrong dtype", "swapped",
                                     "subclass", "1-d", "string"]))
    if kind == "float":
        return value
    if kind == "array":
        return np.array(value, dtype)
    if kind == "readonly":
        a = np.array(value, dtype)
        a.setflags(write=False)
        return a
    if kind == "scalar":
        return np.dtype(dtype).type(value)
    if kind == "int":
        return int(value)
    if kind == "list":
        return [value]
    if kind == "wrong dtype":
        return np.array(value, draw(st.sampled_from(["float64", "float32", "int8", "int64"])))
    if kind == "swapped":
        return np.array(value, np.dtype(dtype).newbyteorder())
    if kind == "subclass":
        return np.array(value, dtype).view(Sub)
    if kind == "1-d":
        return np.array([value], dtype)
    return "1.0"


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_random_scalar_graphs_match_python_path_and_reference(data):
    inputs, outputs, inexact = data.draw(graphs())
    f, ref = tensordsl.function(inputs, outputs, mode=C_RUN), \
        tensordsl.function(inputs, outputs, mode=REFERENCE)
    nodes = f.maker.fgraph.toposort()
    # every input used and one fused 0-d kernel computing every output: the trampoline's
    # case (unless the rewrites leave no kernel: -(-x) is x, returned through Python)
    one_kernel = len(nodes) == 1 and all(o.owner is nodes[0] for o in f.maker.fgraph.outputs)
    if HAVE_TRAMPOLINE:
        assert isinstance(type(f).__call__, trampoline.load().ScalarCall) == one_kernel
    for _ in range(3):
        args = [argument(data.draw, x.dtype) for x in inputs]
        keep = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        by_name = data.draw(st.integers(0, 3)) == 0
        kwargs = {x.name: a for x, a in zip(inputs, args)} if by_name else {}
        pos = () if by_name else tuple(args)
        got = outcome(f, pos, kwargs)
        slow = outcome(lambda *a, **k: python_path(f, *a, **k), pos, kwargs)
        want = outcome(ref, pos, kwargs)
        assert got[0] == slow[0] == want[0], (got, slow, want)
        if got[0] == "err":
            assert got[1:3] == slow[1:3] == want[1:3]
        else:
            same_result(got[1], slow[1], exact=True)
            same_result(got[1], want[1], exact=not inexact)
        assert got[-1] == slow[-1]  # the same warnings
        for a, k in zip(args, keep):  # the caller's inputs are never written
            if isinstance(a, np.ndarray):
                assert np.array_equal(a, k, equal_nan=True) and a.dtype == k.dtype


def test_add_uses_the_trampoline_and_keeps_function_identity():
    a, b = T.dscalars("a", "b")
    f = tensordsl.function([a, b], a + b, name="add")
    if not HAVE_TRAMPOLINE:
        pytest.skip("no C compiler or Python headers: the Python path is tested elsewhere")
    assert type(f).__call__ is f._fast_call
    assert isinstance(f._fast_call, trampoline.load().ScalarCall)
    assert isinstance(f, tensordsl.Function) and type(f).__name__ == "Function"
    assert repr(f) == "<tensordsl.Function add('a', 'b')>"
    assert f.maker.fgraph is not None
    copied = f.copy()  # Theano's copy: a new Function (recompiled), with the same fast path
    assert copied is not f and type(copied).__call__ is copied._fast_call
    assert float(copied(1.0, 2.25)) == 3.25
    plain = tensordsl.function([a, b], a + b, mode=REFERENCE)
    assert inspect.signature(f) == inspect.signature(plain) and f.__doc__ == plain.__doc__
    out = f(1.0, 2.25)
    assert type(out) is np.ndarray and out.dtype == np.float64 and out.shape == () \
        and out == 3.25


def test_float32_input_cast_like_the_python_path():
    x = T.fscalar("x")
    f = tensordsl.function([x], x * 3)
    for value in (0.1, -2.5, float("nan"), float("inf"), 1e-40, 1e-50, 3.4028235e38):
        got, slow = outcome(f, (value,), {}), outcome(lambda v: python_path(f, v), (value,), {})
        assert got[0] == slow[0] == "ok" and got[2] == slow[2]
        same_result(got[1], slow[1], exact=True)
    # an overflowing cast warns on the Python path: the trampoline leaves it to that path
    got = outcome(f, (1e300,), {})
    assert got[0] == "ok" and got[1] == np.inf and any("overflow" in w for w in got[2])


def test_trust_input_gives_the_same_results_and_errors():
    x, y = T.fscalar("x"), T.dscalar("y")
    f = tensordsl.function([x, y], x + y, trust_input=True)
    if HAVE_TRAMPOLINE:
        assert f._fast_call is not None
    for args in [(np.float32(1.5), 2.0), (np.array(1.5, "float32"), 2.0), (1.5, 2.0),
                 (np.array(1.5, "float32"), np.array(2.0))]:
        same_outcome_as_python_path(f, args)


def test_outputs_are_fresh_and_inputs_untouched():
    a, b = T.dscalars("a", "b")
    f = tensordsl.function([a, b], T.maximum(a, b) * 2)
    x, y = np.array(1.0), np.array(-3.0)
    first, second = f(x, y), f(x, y)
    assert first is not second and not np.shares_memory(first, second)
    assert not np.shares_memory(first, x) and not np.shares_memory(first, y)
    first[()] = 99.0
    assert f(x, y) == 2.0 and second == 2.0 and x == 1.0 and y == -3.0
    assert sys.getrefcount(f(x, y)) == 2  # nobody but the caller holds the result


def test_no_reference_or_memory_growth_over_many_calls():
    a, b = T.dscalars("a", "b")
    f = tensordsl.function([a, b], a * b + 1)
    x, y, scalar = np.array(2.0), 3.0, np.float64(4.0)  # fast path, and the fallback
    for _ in range(100):
        f(x, y), f(scalar, y), f(a=y, b=x)
    refs = [sys.getrefcount(v) for v in (x, y, scalar, f)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(10_000):
            f(x, y), f(scalar, y), f(a=y, b=x)
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert [sys.getrefcount(v) for v in (x, y, scalar, f)] == refs
    assert grown < 64 * 1024, grown  # one leaked array per call would be megabytes


def test_function_with_trampoline_is_collected():
    a, b = T.dscalars("a", "b")
    f = tensordsl.function([a, b], a - b)
    f(1.0, 2.0)
    ref = weakref.ref(f)
    del f
    gc.collect()
    assert ref() is None


@pytest.fixture
def fresh_trampoline():
    """Forget the loaded trampoline before and after the test."""
    trampoline._load.cache_clear()
    yield
    trampoline._load.cache_clear()


@pytest.mark.parametrize("failure", ["compile error", "no headers", "import error"])
def test_without_trampoline_the_python_path_gives_the_same_results(
        failure, fresh_trampoline, monkeypatch, tmp_path):
    if failure == "compile error":  # a compiler that rejects the unit (e.g. no Python.h)
        monkeypatch.setattr(trampoline, "source", lambda: "#include <no_such_header_td.h>\n")
    elif failure == "no headers":
        monkeypatch.setattr(trampoline, "include_dirs", lambda: None)
    else:
        monkeypatch.setattr(trampoline, "MODULE", "_td_no_such_init")
    a, b = T.dscalars("a", "b")
    with config.change_flags(compiledir=str(tmp_path / "c")):
        f = tensordsl.function([a, b], a * b - a)
    assert f._fast_call is None and type(f) is tensordsl.Function
    assert f(3.0, 2.0) == 3.0 and f(np.array(3.0), b=2) == 3.0
    with pytest.raises(TypeError, match="'a'"):
        f("x", 1.0)


def test_raw_entries_are_validated_and_the_trampoline_is_not():
    a, b = T.dscalars("a", "b")
    f = tensordsl.function([a, b], T.exp(a) / (b + 0.125))
    assert f(0.0, 1.875) == 0.5
    assert any("td_kernel_raw(void *const *args)" in s and "exp" in s for s in RENDERED)
    assert not any("#include" in s for s in RENDERED)


CHILD = textwrap.dedent("""
    import tensordsl
    from tensordsl import tensor as T
    from tensordsl.backends.c import cache, trampoline
    a, b = T.dscalars("a", "b")
    f = tensordsl.function([a, b], a + b)
    print(cache.BUILDS["count"], type(f).__call__ is f._fast_call is not None, f(1.0, 2.5))
""")


@pytest.mark.skipif(not HAVE_TRAMPOLINE, reason="needs a C compiler and Python headers")
def test_built_trampoline_is_cached_across_processes(tmp_path):
    env = dict(os.environ, TENSORDSL_FLAGS=f"compiledir={tmp_path / 'c'}", PYTHONPATH=ROOT)

    def child():
        out = subprocess.run([sys.executable, "-c", CHILD], env=env, text=True,
                             capture_output=True, timeout=240)
        assert out.returncode == 0, out.stderr
        return out.stdout.split()

    first, second = child(), child()
    assert first == ["2", "True", "3.5"]  # the kernel and the trampoline were built
    assert second == ["0", "True", "3.5"]  # both loaded from the cache
    assert len(list((tmp_path / "c").glob("td_*.so"))) == 2


def test_kernel_inputs_in_another_order_or_unused():
    x, y, z = T.dscalar("x"), T.fscalar("y"), T.lscalar("z")
    f = tensordsl.function([x, y, z], T.maximum(y, x) - y, on_unused_input="ignore")
    if HAVE_TRAMPOLINE:
        assert f._fast_call is not None
    for args in [(1.0, 2.5, np.array(3)), (4.0, 2.5, np.array(3)), (1.0, 2.5, 3.5),
                 (1.0, 2.5, 7), (np.array(4.0), np.array(2.5, "float32"), np.array(1.0))]:
        same_outcome_as_python_path(f, args)


def test_a_graph_rewritten_to_its_input_has_no_trampoline_and_copies():
    """-(-x) is rewritten to x: no kernel, so the Python path returns a copy of x."""
    x = T.dscalar("x")
    f = tensordsl.function([x], T.neg(T.neg(x)))
    assert f.maker.fgraph.toposort() == [] and f._fast_call is None
    if HAVE_TRAMPOLINE:
        assert not isinstance(type(f).__call__, trampoline.load().ScalarCall)
    a = np.array(3.5)
    out = f(a)
    assert out == 3.5 and out is not a and not np.shares_memory(out, a)


@pytest.mark.parametrize("dtype", ["float64", "float32", "int64", "int32", "uint8", "bool"])
def test_python_ints_and_numpy_scalars_like_the_python_path(dtype):
    x = T.scalar("x", dtype=dtype)
    f = tensordsl.function([x], T.maximum(x, x) if dtype == "bool" else x * 1 + x)
    if HAVE_TRAMPOLINE:
        assert f._fast_call is not None
    big = [2**53, 2**53 + 1, -(2**53) - 1, 2**62, 2**63 - 1, 2**63, -(2**63), 2**64, -(2**70)]
    values = [0, 1, -3, 255, 256, True, 1.5, *big, np.float64(2.5), np.float32(2.5),
              np.int64(7), np.longlong(7), np.int32(-4), np.uint8(200), np.bool_(True),
              np.array(3, np.longlong), np.float16(1.5)]
    for value in values:
        got, slow = same_outcome_as_python_path(f, (value,))
        assert got[0] != "ok" or got[2] == slow[2]  # the same warnings


def test_keyword_calls_like_the_python_path():
    a, b = T.dscalars("a", "b")
    c = T.fscalar("c")
    f = tensordsl.function([a, tensordsl.In(b, name="bee"), tensordsl.In(c, value=0.5)],
                           a * 2 - b + c)
    if HAVE_TRAMPOLINE:
        assert f._fast_call is not None
    calls = [((1.0,), {"bee": 2.0, "c": 4.0}), ((), {"c": 1.0, "a": 3.0, "bee": 2.0}),
             ((1.0, 2.0), {"c": np.float32(1.5)}), ((1.0,), {"bee": 2.0}),
             ((1.0,), {"b": 2.0, "c": 1.0}), ((1.0,), {"a": 2.0, "c": 1.0}),
             ((1.0, 2.0, 3.0), {"c": 1.0}), ((), {"a": "x", "bee": 1.0, "c": 1.0}),
             ((), {"a": 1, "bee": np.array(2.0), "c": 2**30})]
    for args, kwargs in calls:
        got = outcome(f, args, kwargs)
        slow = outcome(lambda *a, **k: python_path(f, *a, **k), args, kwargs)
        assert got[0] == slow[0], (args, kwargs, got, slow)
        if got[0] == "ok":
            same_result(got[1], slow[1], exact=True)
        else:
            assert got[1:3] == slow[1:3]
