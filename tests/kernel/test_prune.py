"""Dead-code elimination on the kernel IR (tensordsl/kernel/prune.py).

A pruned kernel computes what the original computes (the numpy oracle on random DAGs,
0-size and broadcast dims included), keeps its inputs and outputs, has no `second` and
no node nobody reads; its C unit compiles with `cc -Wall -Werror` (no unused load), and
whole functions with fill/zeros_like patterns still equal numpy on every backend here."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tensordsl.config import config
from tensordsl.kernel.evaluate import evaluate_kernel
from tensordsl.kernel.ir import Kernel, KernelInput, ScalarNode
from tensordsl.kernel.lower import lower_node
from tensordsl.kernel.prune import live_nodes, loaded_inputs, prune_kernel
from tensordsl.ops import scalar as ps
from tensordsl.ops.fused import FusedElemwise
from tests.backends.c.strategies import broadcast_to, operand, shapes

HAS_CC = shutil.which("cc") is not None
needs_cc = pytest.mark.skipif(not HAS_CC, reason="no C compiler here")


def load(i: int, dtype: str = "float64") -> ScalarNode:
    return ScalarNode(dtype, input=i)


def op(name: str, *args: int, dtype: str = "float64") -> ScalarNode:
    return ScalarNode(dtype, op=ps.SCALAR_OPS[name], args=args)


def inputs(n: int, ndim: int = 2, dtype: str = "float64", scalar: tuple[int, ...] = ()
           ) -> tuple[KernelInput, ...]:
    return tuple(KernelInput(dtype, (j in scalar,) * ndim) for j in range(n))


def seed_training_like(ndim: int = 2, scalar: tuple[int, ...] = ()) -> Kernel:
    """Fused{mul,second,mul}: a product read only for its shape, then scaled."""
    body = (load(0), load(1), op("mul", 0, 1), load(2), op("second", 2, 3),
            ScalarNode("float64", value=2.0), op("mul", 4, 5))
    return Kernel(ndim, inputs(3, ndim, scalar=scalar), body, (6,), ("float64",),
                  name="fused")


def ops_of(kernel: Kernel) -> list[str]:
    return [n.op.name for n in kernel.body if n.kind == "op"]  # type: ignore[union-attr]


# -- the IR -----------------------------------------------------------------------------
def test_shape_operand_of_second_is_dropped_with_what_only_it_read():
    k = seed_training_like()
    p = prune_kernel(k)
    assert ops_of(p) == ["mul"]
    assert p.inputs == k.inputs and p.output_dtypes == k.output_dtypes
    assert loaded_inputs(p) == {2}  # x and y only give the iteration shape
    assert [n.input for n in p.body if n.kind == "load"] == [2]
    assert live_nodes(p) == set(range(len(p.body)))


def test_a_node_no_output_reads_is_dropped():
    body = (load(0), load(1), op("exp", 0), op("add", 0, 1), op("sqr", 1))
    k = Kernel(1, inputs(2, 1), body, (3,), ("float64",))
    p = prune_kernel(k)
    assert ops_of(p) == ["add"] and loaded_inputs(p) == {0, 1}


def test_a_live_kernel_is_returned_as_is_and_pruning_is_idempotent():
    body = (load(0), load(1), op("add", 0, 1))
    k = Kernel(1, inputs(2, 1), body, (2,), ("float64",))
    assert prune_kernel(k) is k
    p = prune_kernel(seed_training_like())
    assert prune_kernel(p) is p


def test_second_of_another_dtype_becomes_an_identity_cast():
    body = (load(0), ScalarNode("int32", value=3), op("second", 0, 1, dtype="float32"))
    k = Kernel(1, inputs(1, 1), body, (2,), ("float32",))
    p = prune_kernel(k)
    assert ops_of(p) == ["identity"] and loaded_inputs(p) == frozenset()
    x = np.arange(4.0)
    (got,) = evaluate_kernel(p, [x])
    np.testing.assert_array_equal(got, np.full(4, 3, np.float32))
    assert got.dtype == np.float32


def test_second_as_an_output_and_a_reduction_over_it():
    body = (load(0), load(1), op("second", 0, 1))
    elem = Kernel(2, inputs(2), body, (2, 2), ("float64", "float64"))
    p = prune_kernel(elem)
    assert ops_of(p) == [] and p.outputs == (0, 0) and loaded_inputs(p) == {1}
    red = Kernel(2, inputs(2), body, (2,), ("float64",), reduce_axes=(0,),
                 reduce_kinds=("add",), acc_dtypes=("float64",))
    x, y = np.ones((3, 4)), np.arange(4.0).reshape(1, 4)
    for k in (elem, red):
        for g, w in zip(evaluate_kernel(prune_kernel(k), [x, y]), evaluate_kernel(k, [x, y])):
            np.testing.assert_array_equal(g, w)


# correctly rounded ops only: the compiled kernel then gives numpy's bits (no libm
# differences), reductions aside (another summation order)
UNARY = ["neg", "sqr", "abs", "identity"]
BINARY = ["add", "mul", "sub", "maximum", "second"]


@st.composite
def random_kernels(draw, ndim: int = 2):
    """A random float64 DAG over 3 inputs (some statically broadcast), with seconds,
    constants and nodes no output reads; elementwise or summed over a random axis set."""
    nin = 3
    scalar = tuple(j for j in range(nin) if draw(st.booleans()) and draw(st.booleans()))
    body = [load(j) for j in range(nin)]
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["unary", "binary", "const"]))
        if kind == "const":
            body.append(ScalarNode("float64", value=draw(st.sampled_from([0.5, -2.0, 3.0]))))
        elif kind == "unary":
            a = draw(st.integers(0, len(body) - 1))
            body.append(op(draw(st.sampled_from(UNARY)), a))
        else:
            a, b = (draw(st.integers(0, len(body) - 1)) for _ in range(2))
            body.append(op(draw(st.sampled_from(BINARY)), a, b))
    outs = tuple(draw(st.lists(st.integers(nin, len(body) - 1), min_size=1, max_size=3)))
    ins = inputs(nin, ndim, scalar=scalar)
    if draw(st.booleans()):
        axes = tuple(sorted(draw(st.sets(st.integers(0, ndim - 1), min_size=1))))
        return Kernel(ndim, ins, tuple(body), outs, ("float64",) * len(outs),
                      reduce_axes=axes, reduce_kinds=("add",) * len(outs),
                      acc_dtypes=("float64",) * len(outs))
    return Kernel(ndim, ins, tuple(body), outs, ("float64",) * len(outs))


@st.composite
def kernel_and_operands(draw, elems=None):
    k = draw(random_kernels())
    shape = draw(shapes(2, 4))
    arrays = []
    for x in k.inputs:
        if all(x.broadcastable):
            arrays.append(draw(operand((1, 1), "float64", elems)))
        else:
            arrays.append(draw(operand(draw(broadcast_to(shape)), "float64", elems)))
    return k, arrays


def same(got: np.ndarray, want: np.ndarray) -> None:
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)  # NaN == NaN; the same numpy ops, same order


@settings(max_examples=60, deadline=None)
@given(case=kernel_and_operands())
def test_pruned_random_kernels_compute_the_same(case):
    k, arrays = case
    p = prune_kernel(k)
    assert p.inputs == k.inputs and p.output_dtypes == k.output_dtypes
    assert "second" not in ops_of(p)
    assert live_nodes(p) == set(range(len(p.body)))
    for got, want in zip(evaluate_kernel(p, arrays), evaluate_kernel(k, arrays)):
        same(got, want)


# -- the C unit -----------------------------------------------------------------------------
def cc_wall_werror(source: str, tmp_path) -> None:
    path = tmp_path / "k.c"
    path.write_text(source)
    flags = ["-fopenmp"] if config.openmp else []
    proc = subprocess.run(["cc", "-Wall", "-Werror", "-std=c99", *flags, "-c", str(path),
                           "-o", str(tmp_path / "k.o")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr


def c_cases() -> list[tuple[str, Kernel]]:
    """Kernels that used to load shape-only operands, on every path of the renderer."""
    cases = [(f"{nd}d", seed_training_like(nd)) for nd in (0, 1, 2, 3)]
    cases += [("2d-scalar-shape-operand", seed_training_like(2, scalar=(0,))),
              ("2d-scalar-value-operand", seed_training_like(2, scalar=(2,)))]
    k = seed_training_like(2)
    for axes in ((0, 1), (0,), (1,)):  # full (flat path), rows path, strided path
        cases.append((f"sum{axes}", Kernel(2, k.inputs, k.body, k.outputs, k.output_dtypes,
                                           reduce_axes=axes, reduce_kinds=("add",),
                                           acc_dtypes=("float64",))))
    rows = seed_training_like(3, scalar=(1,))
    cases.append(("rows-scalar", Kernel(3, rows.inputs, rows.body, rows.outputs,
                                        rows.output_dtypes, reduce_axes=(0, 1),
                                        reduce_kinds=("maximum",))))
    fill = (load(0), ScalarNode("float64", value=0.0), op("second", 0, 1))
    cases.append(("zeros_like", Kernel(2, inputs(1), fill, (2,), ("float64",))))
    return cases


@needs_cc
@pytest.mark.parametrize("openmp", [True, False])
@pytest.mark.parametrize("name,kernel", c_cases(), ids=[n for n, _ in c_cases()])
def test_c_unit_compiles_with_wall_werror(name, kernel, openmp, tmp_path):
    from tensordsl.backends.c.schedule import kernel_source

    with config.change_flags(openmp=openmp):
        source = kernel_source(kernel)
        assert "second" not in source.splitlines()[0]  # the header lists the ops left
        cc_wall_werror(source, tmp_path)


@needs_cc
@settings(max_examples=40, deadline=None)
@given(case=kernel_and_operands(st.floats(-2, 2)))
def test_random_kernels_compiled_equal_the_oracle(case):
    from tests.backends.c.kernels import run_c

    k, arrays = case
    want = evaluate_kernel(k, arrays)  # the unpruned kernel's numpy semantics
    got = run_c(k, arrays)
    if not k.reduce_axes:
        for g, w in zip(got, want):
            same(g, w)
        return
    # sums run in another order than numpy's: bounded by n eps sum(|terms|)
    terms = evaluate_kernel(Kernel(k.ndim, k.inputs, k.body, k.outputs, k.output_dtypes),
                            arrays)
    for g, w, t in zip(got, want, terms):
        assert g.dtype == w.dtype and g.shape == w.shape
        with np.errstate(all="ignore"):
            scale = np.abs(t).sum(axis=k.reduce_axes)
        finite = np.isfinite(scale) & (scale < 1e300)
        n = max(1, int(np.prod([t.shape[d] for d in k.reduce_axes])))
        assert np.all(np.abs(g[finite] - w[finite]) <= 4 * n * 2.0 ** -52 * scale[finite])


# -- whole functions ------------------------------------------------------------------------
def targets() -> list[str]:
    from tensordsl.testing.equivalence import target_status

    return ["numpy"] + [t for t in ("c", "opencl") if target_status(t)[0]]


def fused_kernels(f) -> list[Kernel]:
    return [n.op.kernel for n in f.maker.fgraph.toposort()
            if isinstance(n.op, FusedElemwise)]


@pytest.mark.parametrize("target", targets())
@settings(max_examples=20, deadline=None)
@given(data=st.data(), dtype=st.sampled_from(["float32", "float64", "int64"]))
def test_fill_patterns_equal_numpy(target, data, dtype):
    from tensordsl.runtime.mode import target_mode

    if target == "opencl" and dtype == "float64":
        from tests.backends.opencl.helpers import rt

        if "fp64" not in rt().device.extensions:
            return
    x, y, w = (T.TensorType(dtype, (None, None))(n) for n in "xyw")
    outs = [T.fill(x * y, w) * 2, T.zeros_like(x * y) + w, (T.ones_like(x) * w).sum(axis=0)]
    mode = None if target == "numpy" else target_mode(target)
    f = tensordsl.function([x, y, w], outs, mode=mode)
    shape = data.draw(shapes(2, 4))
    vals = [data.draw(operand(data.draw(broadcast_to(shape)), dtype,
                              st.integers(-50, 50) if dtype == "int64" else
                              st.floats(-50, 50, width=32)))
            for _ in range(3)]
    a, b, c = vals
    full = np.broadcast_shapes(a.shape, b.shape)
    want = [np.broadcast_to(c, np.broadcast_shapes(full, c.shape)) * 2,
            np.zeros(full, dtype) + c, (np.ones_like(a) * c).sum(axis=0, dtype=dtype)]
    for got, w in zip(f(*vals), want):
        assert got.dtype == w.dtype and got.shape == w.shape
        np.testing.assert_allclose(got, w, rtol=1e-6)
    for k in fused_kernels(f):
        assert "second" not in ops_of(k) and live_nodes(k) == set(range(len(k.body)))


@needs_cc
def test_lowered_nodes_are_pruned():
    x, y = T.dmatrix("x"), T.dmatrix("y")
    f = tensordsl.function([x, y], T.fill(x, y) + 1, mode=tensordsl.Mode("C_ONLY", backend="c"))
    lowered = [lower_node(n) for n in f.maker.fgraph.toposort()]
    kernels = [lw[0] for lw in lowered if lw is not None]
    assert kernels and all("second" not in ops_of(k) for k in kernels)
    np.testing.assert_array_equal(f(np.zeros((2, 3)), np.arange(3.0)[None]),
                                  np.broadcast_to(np.arange(3.0) + 1, (2, 3)))
