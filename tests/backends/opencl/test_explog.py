"""exp, log and sqrt on OpenCL against numpy: the inline helpers of explog.py where
tuning.py picks them (PoCL's CPU devices), the builtins elsewhere.

Millions of points per function and dtype (a dense grid over the whole finite range,
random bit patterns, subnormal inputs and results, the overflow/underflow edges, the
reduction's interval edges and the special values), through the vector kernel and the
strided one; random shapes with 0-size, size-1 broadcast and non-contiguous operands."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tensordsl.accuracy import ulp_bound, ulp_distance

from ..c.strategies import broadcast_to, elements, operand, shapes
from .helpers import needs_opencl, opencl_mode, rt

pytestmark = needs_opencl

FLOATS = ["float32", "float64"]


def inline_here() -> bool:
    """True when the default OpenCL device gets the inline helpers."""
    from tensordsl.backends.opencl.tuning import kernel_tuning

    return kernel_tuning(rt().info).inline_math


def allowed(op: str, dtype: str) -> float:
    """The bound checked: 0 for sqrt (correctly rounded), explog's measured bound for
    the inline exp/log, the contract's bound for the builtins."""
    from tensordsl.backends.opencl.explog import MEASURED_ULPS

    if op == "sqrt":
        return 0
    return MEASURED_ULPS[(op, dtype)] if inline_here() else ulp_bound(op)


def points(op: str, dtype: str, n: int = 1_000_000) -> np.ndarray:
    """The test points of `op` in `dtype` (deterministic)."""
    rng = np.random.default_rng(12)
    fi = np.finfo(dtype)
    tiny = float(fi.smallest_subnormal)
    ints = np.int64 if dtype == "float64" else np.int32
    bits = rng.integers(0, np.iinfo(ints).max, n, dtype=ints).view(dtype)  # any x >= 0
    if op == "exp":
        hi, lo = (709.8, -745.2) if dtype == "float64" else (88.8, -104.0)
        # overflow to inf, the last subnormal result, half the smallest subnormal (0),
        # the smallest normal result, and +-ln2/2 (the reduction's interval edge)
        edges = ([709.782712893384, -745.1332191019412, -744.44007192138122,
                  -708.3964185322641] if dtype == "float64" else
                 [88.72283935546875, -103.97207708, -103.27892990, -87.33654475])
        edges += [0.34657359027997264, -0.34657359027997264]
        near = [np.nextafter(np.asarray(e, dtype), np.asarray(s, dtype))
                for e in edges for s in (-np.inf, np.inf)]
        parts = [np.linspace(lo - 5, hi + 5, n), rng.uniform(-5, 5, n // 4),
                 np.geomspace(tiny, 1, 5000), -np.geomspace(tiny, 1, 5000),
                 np.array(edges + near), -bits[: n // 8]]
    elif op == "log":
        with np.errstate(over="ignore"):
            spread = np.geomspace(tiny, float(fi.max), n // 4)
        parts = [bits, spread,
                 1 + rng.uniform(-0.3, 0.5, n // 4),
                 np.array([np.sqrt(0.5), np.sqrt(2.0), 1.0, 2.0, 0.5,
                           float(fi.smallest_normal), float(fi.max)])]
    else:
        parts = [bits, rng.uniform(0, 100, n // 4)]
    special = [0.0, -0.0, np.inf, -np.inf, np.nan, -1.0, tiny, -tiny, float(fi.max),
               -float(fi.max), float(fi.smallest_normal)]
    with np.errstate(over="ignore", invalid="ignore"):
        return np.concatenate([np.asarray(p).astype(dtype) for p in parts + [special]])


def compiled(op: str, dtype: str):
    with tensordsl.config.change_flags(floatX=dtype):
        x = T.vector("x", dtype=dtype)
        return tensordsl.function([x], getattr(T, op)(x), mode=opencl_mode())


def check(got: np.ndarray, x: np.ndarray, op: str, dtype: str) -> None:
    with np.errstate(all="ignore"):
        want = getattr(np, op)(x)
    assert got.dtype == want.dtype == np.dtype(dtype)
    dist = ulp_distance(got, want)
    bad = dist > allowed(op, dtype)
    assert not bad.any(), (f"{op} {dtype} off by {dist[bad][:5]} ulp at x = {x[bad][:5]}: "
                           f"got {got[bad][:5]}, want {want[bad][:5]}")


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("op", ["exp", "log", "sqrt"])
def test_grid_vector_and_strided(op, dtype):
    """Over ~1.5M points: the vector kernel (contiguous, with a tail) and the strided
    kernel (reversed, every third element) within the bound everywhere."""
    fn = compiled(op, dtype)
    x = points(op, dtype)
    check(fn(x), x, op, dtype)
    check(fn(x[::-1]), x[::-1], op, dtype)
    check(fn(x[1::3]), x[1::3], op, dtype)


@pytest.mark.parametrize("dtype", FLOATS)
def test_special_values_exact(dtype):
    """exp: +-0 -> 1, inf -> inf, -inf -> 0, NaN -> NaN, past the range inf / 0;
    log: +-0 -> -inf, inf -> inf, x < 0 -> NaN, NaN -> NaN, 1 -> 0."""
    big = 1000.0 if dtype == "float64" else 200.0
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, big, -big, 1.0] * 3, dtype=dtype)
    e, lg = compiled("exp", dtype)(x), compiled("log", dtype)(x)
    np.testing.assert_array_equal(e[:7], [1.0, 1.0, np.inf, 0.0, np.nan, np.inf, 0.0])
    assert e[7] == pytest.approx(np.e, rel=1e-6)
    np.testing.assert_array_equal(lg[[0, 1, 2, 7]], [-np.inf, -np.inf, np.inf, 0.0])
    assert np.isnan(lg[[3, 4, 6]]).all() and np.isnan(e[[4, 12, 20]]).all()
    assert lg[5] == pytest.approx(np.log(big), rel=1e-6)


@pytest.mark.parametrize("dtype", FLOATS)
@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_random_shapes_broadcast_strided(dtype, data):
    """exp(x + y), log(x * y) and sqrt(x * y) (+ and * are exactly rounded on both sides,
    so each result is compared with numpy's function of the same value) over random
    shapes with 0-size dims, size-1 broadcast dims and non-contiguous operands."""
    shape = data.draw(shapes())
    x = data.draw(operand(data.draw(broadcast_to(shape)), dtype, elements(dtype, 30.0)))
    y = data.draw(operand(data.draw(broadcast_to(shape)), dtype, elements(dtype, 30.0)))
    with tensordsl.config.change_flags(floatX=dtype):
        a = T.tensor(dtype, broadcastable=tuple(n == 1 for n in x.shape))
        b = T.tensor(dtype, broadcastable=tuple(n == 1 for n in y.shape))
        fn = tensordsl.function([a, b], [T.exp(a + b), T.log(a * b), T.sqrt(a * b)],
                                mode=opencl_mode())
    got = fn(x, y)
    with np.errstate(all="ignore"):
        args = [x + y, x * y, x * y]
    for g, op, v in zip(got, ["exp", "log", "sqrt"], args):
        assert g.shape == v.shape
        check(g.ravel(), v.ravel(), op, dtype)


def test_programs_use_the_helpers_where_tuned():
    """On a PoCL CPU device the programs call td_exp/td_log/td_sqrt (scalar and vector
    programs, float32 and float64) and no builtin exp/log/sqrt; rendered for any other
    device (BUILTIN tuning) they call the builtins."""
    from tensordsl.backends.opencl import BACKEND
    from tensordsl.backends.opencl.render import OpenCLRenderer
    from tensordsl.backends.opencl.tuning import BUILTIN

    for dtype in FLOATS:
        suffix = "f64" if dtype == "float64" else "f32"
        with tensordsl.config.change_flags(floatX=dtype):
            x = T.vector("x", dtype=dtype)
            fn = tensordsl.function([x], T.exp(x) + T.log(x) * T.sqrt(x), mode=opencl_mode())
        sources = [re.sub(r"/\*.*?\*/", "", s.text, flags=re.S)  # code, not comments
                   for s in BACKEND.sources(fn.maker.fgraph)]
        assert len(sources) == 2
        for text in sources:
            for op in ("exp", "log", "sqrt"):
                assert (f"td_{op}_{suffix}(" in text) == inline_here()
                assert (f" {op}(" in text or f"({op}(" in text) != inline_here()
    from tensordsl.kernel.ir import Kernel, KernelInput, ScalarNode
    from tensordsl.ops import scalar as ps

    kernel = Kernel(1, (KernelInput("float64", (False,)),),
                    (ScalarNode("float64", input=0),
                     ScalarNode("float64", op=ps.SCALAR_OPS["exp"], args=(0,))),
                    (1,), ("float64",))
    for text in (OpenCLRenderer(BUILTIN).render(kernel),
                 OpenCLRenderer(BUILTIN).render_vector(kernel)):
        assert "(exp(" in text and "td_exp" not in text


def test_tuning_by_device():
    """PoCL's CPU device gets the inline math and 16 lanes; a GPU, or a CPU of another
    platform, keeps the builtins and 8 lanes."""
    from tensordsl.backends.opencl.device import DeviceInfo
    from tensordsl.backends.opencl.tuning import BUILTIN, POCL_CPU, kernel_tuning

    pocl = "Portable Computing Language"
    assert kernel_tuning(DeviceInfo(0, 0, "pthread-Xeon", "CPU", True, pocl)) == POCL_CPU
    assert kernel_tuning(DeviceInfo(0, 0, "NVIDIA H200", "GPU", True, "NVIDIA CUDA")) == BUILTIN
    assert kernel_tuning(DeviceInfo(0, 1, "cuda dev", "GPU", True, pocl)) == BUILTIN
    assert kernel_tuning(DeviceInfo(1, 0, "Xeon", "CPU", True, "Intel(R) OpenCL")) == BUILTIN
    assert POCL_CPU.inline_math and not BUILTIN.inline_math
    assert (POCL_CPU.vector_width, BUILTIN.vector_width) == (16, 8)


def test_erf64_helper_forced_inline_only_where_tuned():
    """The float64 erf helper (which calls exp) is always_inline and calls td_exp_f64 with
    the PoCL CPU tuning; with BUILTIN it is a plain static inline calling the builtin."""
    from tensordsl.backends.opencl.render import OpenCLRenderer
    from tensordsl.backends.opencl.tuning import BUILTIN, POCL_CPU
    from tensordsl.kernel.ir import Kernel, KernelInput, ScalarNode
    from tensordsl.ops import scalar as ps

    kernel = Kernel(1, (KernelInput("float64", (False,)),),
                    (ScalarNode("float64", input=0),
                     ScalarNode("float64", op=ps.SCALAR_OPS["erf"], args=(0,))),
                    (1,), ("float64",))
    for tuning, inline in ((BUILTIN, False), (POCL_CPU, True)):
        for text in (OpenCLRenderer(tuning).render(kernel),
                     OpenCLRenderer(tuning).render_vector(kernel)):
            assert "td_erf_f64(" in text
            assert ("__attribute__((always_inline))" in text) == inline
            assert ("td_exp_f64(-ysq)" in text) == inline
            assert ("* exp(-ysq)" in text) != inline
