"""Every scalar op the OpenCL backend lowers, per dtype, against the numpy oracle.

The same multi-output kernels as the C backend's op tests (every lowerable op on the
same operands), run on the device with operands that are device views: transposed,
sliced, reversed, 0-size and size-1 broadcast dims, NaN/inf/-0.0, integer extremes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tensordsl.kernel.ir import Kernel, KernelInput, ScalarNode
from tensordsl.ops import scalar as ps

from ..c.strategies import ALL, broadcast_to, elements, operand, shapes
from ..c.test_ops import CAST_TARGETS, ops_for
from .helpers import check_kernel, needs_opencl, run_kernel

pytestmark = needs_opencl


@pytest.mark.parametrize("dtype", ALL)
@settings(max_examples=20, deadline=None)
@given(data=st.data())
def test_ops_match_numpy(dtype, data):
    from ..c.kernels import multi_op_kernel

    kernel = multi_op_kernel(2, (dtype, dtype, "bool"), ops_for(dtype))
    shape = data.draw(shapes())
    x = data.draw(operand(data.draw(broadcast_to(shape)), dtype))
    y = data.draw(operand(data.draw(broadcast_to(shape)), dtype))
    c = data.draw(operand(data.draw(broadcast_to(shape)), "bool"))
    check_kernel(kernel, [x, y, c], on_device=data.draw(st.booleans()))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_static_broadcast_and_3d(dtype, data):
    """A statically broadcast row and a scalar against a 3-d operand (the flat path's
    hoisted scalar and the strided path's stride-0 dims)."""
    from ..c.kernels import multi_op_kernel

    bc = ((False, False, False), (True, False, True), (True, True, True))
    kernel = multi_op_kernel(3, (dtype,) * 3, [(ps.add, (0, 1)), (ps.mul, (1, 2)),
                                              (ps.SCALAR_OPS["exp"], (1,))], bc)
    shape = data.draw(shapes(3, 4))
    x = data.draw(operand(shape, dtype))
    row = data.draw(operand((1, shape[1], 1), dtype))
    s = data.draw(operand((1, 1, 1), dtype))
    check_kernel(kernel, [x, row, s], on_device=data.draw(st.booleans()))


@pytest.mark.parametrize("src", ["float32", "float64", "int64", "int8", "uint8", "bool"])
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_casts(src, data):
    """Casts to every real dtype (values inside the target's range)."""
    from ..c.kernels import multi_op_kernel

    casts = [(ps.Cast(t), (0,)) for t in CAST_TARGETS]
    kernel = multi_op_kernel(1, (src,), casts)
    elems = elements(src) if src in ("bool", "uint8") else (
        st.integers(0, 100) if src.startswith("int") else
        st.one_of(st.floats(0, 100, width=32 if src == "float32" else 64),
                  st.sampled_from([0.0, -0.0, 0.5, 99.5, 1.0])))
    n = data.draw(st.integers(0, 7))
    x = data.draw(operand((n,), src, elems))
    check_kernel(kernel, [x], [f"cast_{t}" for t in CAST_TARGETS])


def test_casts_to_bool_test_for_nonzero():
    """256 is true (a conversion to bool is `x != 0`, never a byte truncation)."""
    from ..c.kernels import multi_op_kernel

    for src, values in [("int16", [256, -256, 0, 1]), ("float32", [0.0, -0.0, 0.25, np.nan])]:
        kernel = multi_op_kernel(1, (src,), [(ps.Cast("bool"), (0,))])
        x = np.array(values * 3, dtype=src)
        (got,) = run_kernel(kernel, [x])
        np.testing.assert_array_equal(got, x.astype(bool))
        assert got.dtype == np.bool_


def test_integer_division_by_zero_and_min_by_minus_one():
    """numpy gives 0 for x // 0 and x % 0, and MIN // -1 wraps."""
    from ..c.kernels import multi_op_kernel

    for dtype in ("int32", "int64", "int8", "uint64"):
        info = np.iinfo(dtype)
        kernel = multi_op_kernel(1, (dtype, dtype), [(ps.int_div, (0, 1)), (ps.mod, (0, 1))])
        if info.min < 0:
            x = np.array([7, -7, info.min, info.min, 5, 0], dtype=dtype)
            y = np.array([2, 2, -1, 0, 0, 3], dtype=dtype)
        else:
            x = np.array([7, 0, info.max, 3], dtype=dtype)
            y = np.array([2, 0, 0, 7], dtype=dtype)
        check_kernel(kernel, [x, y])


def test_constants_special_values():
    """NaN, infinities, -0.0 and integer extremes as kernel constants."""
    for dtype, values in [("float32", [np.nan, np.inf, -np.inf, -0.0, 1e-40, 3.4e38]),
                          ("float64", [np.nan, -np.inf, 5e-324, 1.7e308]),
                          ("int64", [-(2 ** 63), 2 ** 63 - 1]), ("uint64", [2 ** 64 - 1]),
                          ("int8", [-128, 127])]:
        body = [ScalarNode(dtype, input=0)]
        outs = []
        for v in values:
            body.append(ScalarNode(dtype, value=v))
            body.append(ScalarNode(dtype, op=ps.SCALAR_OPS["maximum"], args=(0, len(body) - 1)))
            outs.append(len(body) - 1)
            outs.append(len(body) - 2)
        kernel = Kernel(1, (KernelInput(dtype, (False,)),), tuple(body), tuple(outs),
                        tuple(body[o].dtype for o in outs))
        x = np.zeros(5, dtype=dtype)
        check_kernel(kernel, [x], [f"out{j}" for j in range(len(outs))])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_vector_path_matches_numpy(dtype, data):
    """Float kernels of vectorisable ops run the device's vector width (tuning.py) of
    elements per work-item on contiguous operands, the tail one per work-item: every such
    op, sizes around the width, a broadcast scalar operand and a constant of another
    float dtype."""
    from tensordsl.backends.opencl.render import VECTOR_OPS, vector_dtype
    from tensordsl.backends.opencl.tuning import kernel_tuning

    from ..c.kernels import lowerable
    from .helpers import rt

    unary = [op for op in ps.SCALAR_OPS.values()
             if op.nin == 1 and op.name in VECTOR_OPS and lowerable(op, (dtype,)) == dtype]
    binary = [op for op in ps.SCALAR_OPS.values()
              if op.nin == 2 and op.name in VECTOR_OPS and lowerable(op, (dtype,) * 2) == dtype]
    other = "float32"  # a float32 constant (in a float64 kernel: another dtype)
    body = [ScalarNode(dtype, input=0), ScalarNode(dtype, input=1),
            ScalarNode(other, value=0.75)]
    outs = []
    for op in unary:
        body.append(ScalarNode(dtype, op=op, args=(0,)))
        outs.append(len(body) - 1)
    for op in binary:
        body.append(ScalarNode(dtype, op=op, args=(0, 1)))
        outs.append(len(body) - 1)
    body.append(ScalarNode(dtype, op=ps.mul, args=(2, 0)))  # the other-dtype constant
    outs.append(len(body) - 1)
    body.append(ScalarNode(dtype, op=ps.clip, args=(0, 1, 2)))
    outs.append(len(body) - 1)
    kernel = Kernel(1, (KernelInput(dtype, (False,)), KernelInput(dtype, (True,))),
                    tuple(body), tuple(outs), (dtype,) * len(outs), name="vector ops")
    assert vector_dtype(kernel) == dtype
    wider = Kernel(1, kernel.inputs, (*body[:2], ScalarNode("float64", value=0.75), *body[3:]),
                   kernel.outputs, kernel.output_dtypes)
    assert vector_dtype(wider) == (dtype if dtype == "float64" else None)
    width = kernel_tuning(rt().info).vector_width
    n = data.draw(st.sampled_from([0, 1, width - 1, width, width + 3, 5 * width, 1000]))
    x = data.draw(operand((n,), dtype, elements(dtype, 8.0)))
    y = data.draw(operand((1,), dtype, elements(dtype, 8.0)))
    names = [op.name for op in unary + binary] + ["mul", "clip"]
    check_kernel(kernel, [np.ascontiguousarray(x), y], names)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_vector_lanes_with_special_values(dtype):
    """The lane probe, at the device's vector width: every vectorisable unary op on x
    and binary op on (x, y), both full vectors, with ~10% special values (NaN, +-inf,
    +-0, huge, tiny) in random lanes: a special value in one lane must not change the
    others (PoCL 3.0's vector pow/sin/cos/tan did at 8 lanes; re-checked at 16)."""
    from tensordsl.backends.opencl.render import VECTOR_OPS, vector_dtype
    from tensordsl.backends.opencl.tuning import kernel_tuning

    from ..c.kernels import lowerable
    from .helpers import rt

    unary = [op for op in ps.SCALAR_OPS.values()
             if op.nin == 1 and op.name in VECTOR_OPS and lowerable(op, (dtype,)) == dtype]
    binary = [op for op in ps.SCALAR_OPS.values()
              if op.nin == 2 and op.name in VECTOR_OPS and lowerable(op, (dtype,) * 2) == dtype]
    body = [ScalarNode(dtype, input=0), ScalarNode(dtype, input=1)]
    for op in unary:
        body.append(ScalarNode(dtype, op=op, args=(0,)))
    for op in binary:
        body.append(ScalarNode(dtype, op=op, args=(0, 1)))
    outs = tuple(range(2, len(body)))
    kernel = Kernel(1, (KernelInput(dtype, (False,)), KernelInput(dtype, (False,))),
                    tuple(body), outs, (dtype,) * len(outs), name="lane probe")
    assert vector_dtype(kernel) == dtype
    width = kernel_tuning(rt().info).vector_width
    rng = np.random.default_rng(7)
    n = width * 257 + 5
    fi = np.finfo(dtype)
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, float(fi.max), float(fi.tiny),
                        float(fi.smallest_subnormal), 1.0, -1.0], dtype=dtype)
    x, y = (rng.uniform(-8, 8, n).astype(dtype) for _ in range(2))
    for v in (x, y):
        hit = rng.random(n) < 0.1
        v[hit] = rng.choice(special, hit.sum())
    names = [op.name for op in unary + binary]
    check_kernel(kernel, [x, y], names)
