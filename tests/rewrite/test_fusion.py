"""Fusion: elementwise regions and a following reduction become one Kernel node whose
numpy evaluation equals the unfused graph bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tensordsl import tensor as T
from tensordsl.ops.fused import FusedElemwise
from tests.rewrite.helpers import NO_REWRITES, compile_fn, count_kernels, only, shared_shape

FUSE = only("fusion")


def kernels(f):
    return [n.op.kernel for n in f.maker.fgraph.toposort() if isinstance(n.op, FusedElemwise)]


def same_bits(inputs, outputs, values):
    want = compile_fn(inputs, outputs, NO_REWRITES)(*values)
    f = compile_fn(inputs, outputs, FUSE)
    f.maker.fgraph.check()
    got = f(*values)
    for g, w in zip(got if isinstance(got, list) else [got],
                    want if isinstance(want, list) else [want]):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_array_equal(g, w)
    return f


@settings(max_examples=40, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(["float32", "float64"]))
def test_sum_exp_times_y_is_one_reducing_kernel(data, dtype):
    x, y = T.matrix("x", dtype=dtype), T.matrix("y", dtype=dtype)
    values = shared_shape(data.draw, [x.type, y.type])
    f = same_bits([x, y], T.sum(T.exp(x) * y, axis=1), values)
    (kernel,) = kernels(f)
    assert [str(n.op) for n in f.maker.fgraph.toposort()] == ["Fused{exp,mul reduce(1,)}"]
    assert kernel.reduce_axes == (1,) and kernel.reduce_kinds == ("add",)


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_broadcasting_and_dimshuffled_inputs(data):
    x = T.dmatrix("x")
    row = T.fvector("r")
    col = T.tensor("float32", (None, 1), name="c")
    out = T.tanh(x * row + T.exp(col) - 1) * 2
    values = shared_shape(data.draw, [x.type, T.tensor("float32", (1, None)).type, col.type])
    values[1] = values[1][0]
    f = same_bits([x, row, col], out, values)
    assert count_kernels(f) == 1
    (kernel,) = kernels(f)
    assert sorted(i.broadcastable for i in kernel.inputs) == sorted(
        [(False, False), (True, False), (False, True)])


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_several_outputs_and_outside_clients(data):
    x, y = T.dvectors("x", "y")
    a = T.exp(x) + y
    b = a * 3
    outs = [a, T.sqrt(abs(b)), b.sum()]
    values = shared_shape(data.draw, [x.type, y.type])
    f = same_bits([x, y], outs, values)
    (kernel,) = [k for k in kernels(f) if not k.is_reduction]
    assert len(kernel.outputs) == 3  # a, sqrt(|b|) and b (used by the sum)


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_casts_are_exact(data):
    x = T.bvector("x")
    y = T.fvector("y")
    z = T.dvector("z")
    out = T.cast(x * 3, "float32") / y + T.cast(T.cast(z, "float32") * 2, "float64")
    values = shared_shape(data.draw, [x.type, y.type, z.type])
    f = same_bits([x, y, z], out, values)
    assert count_kernels(f) == 1
    names = {n.op.name for k in kernels(f) for n in k.body if n.op is not None}
    assert {"cast_float32", "cast_float64"} <= names


def test_region_stays_acyclic_around_a_reduction():
    x = T.dmatrix("x")
    a = T.exp(x) + 1
    out = a / a.sum() * 2 - 1
    value = np.random.default_rng(3).random((3, 4))
    f = same_bits([x], out, [value])
    ops = [str(n.op) for n in f.maker.fgraph.toposort()]
    # the cheap add is recomputed by both kernels (no temporary); exp is not cheap
    assert ops == ["Elemwise{exp}", "Fused{add reduce(0, 1)}", "DimShuffle{(x, x)}",
                   "Fused{add,true_div,mul,sub}"]


@settings(max_examples=30, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(["float32", "float64"]))
def test_twice_used_cheap_producer_inside_one_region_leaves_no_node_outside(data, dtype):
    """Black-Scholes' `sigma*sqrt(T)`: the cheap `c` feeds two nodes of one region and is
    first reached from one of them while the other has not joined yet, so it starts as a
    recomputed copy; once its last user joins it joins too (nothing outside reads it), and
    so does the costly sqrt behind it: one kernel, no node left outside."""
    x, z = T.vector("x", dtype=dtype), T.vector("z", dtype=dtype)
    c = 3 * T.sqrt(z)
    d1 = x / c
    out = T.exp(d1 * 2) * T.tanh(d1 - c)
    values = shared_shape(data.draw, [x.type, z.type])
    f = same_bits([x, z], out, values)
    assert [str(n.op) for n in f.maker.fgraph.toposort()] \
        == ["Fused{sqrt,mul,true_div,mul,exp,sub,tanh,mul}"]


@pytest.mark.parametrize("xs,ys", [((1,), (3,)), ((3,), (1,)), ((2,), (2,)), ((0,), (1,))])
def test_runtime_broadcast_of_extra_outputs(xs, ys):
    """An extra output must keep numpy's shape when inputs broadcast only at run time."""
    x, y = T.dvectors("x", "y")
    a = T.exp(x) * 2
    outs = [a, a + y]
    rng = np.random.default_rng(4)
    same_bits([x, y], outs, [rng.random(xs), rng.random(ys)])


def test_reduction_kinds_and_dtypes():
    x = T.imatrix("x")
    outs = [(x * 2).sum(axis=0), (x + 1).prod(axis=1), abs(x).max(axis=0), (-x).min()]
    value = np.arange(-6, 6, dtype="int32").reshape(3, 4)
    f = same_bits([x], outs, [value])
    assert count_kernels(f) == 4
    assert {k.reduce_kinds[0] for k in kernels(f)} == {"add", "mul", "maximum", "minimum"}


def test_no_cycle_through_an_earlier_kernels_extra_output():
    """A kernel built earlier reads p and exports n; a later region must not absorb p
    (it would need n from the earlier kernel, which needs p from it)."""
    x, y = T.tensor("float64", (4,), "x"), T.tensor("float64", (4,), "y")  # static sizes
    p = T.exp(x)
    c = p.sum()
    n = p * y
    outs = [n + p, n * c]
    rng = np.random.default_rng(8)
    f = same_bits([x, y], outs, [rng.random(4), rng.random(4)])
    nodes = f.maker.fgraph.toposort()
    assert len(nodes) == len(f.maker.fgraph.apply_nodes)
