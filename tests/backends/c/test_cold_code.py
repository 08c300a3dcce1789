"""Cold code (render.cold): the code that runs once per call or only for rare layouts
(kernel entries, the gather path of byte-strided rows, the function driver, ?gemm
wrappers and copies) is compiled at -O1 between `#pragma GCC`
lines, the element loops of the usual layouts at -O3 (docs/c_backend.md, compile time).
Results still equal numpy: the byte-strided path on transposed, sliced and reversed
operands, and the rounding of the command line's flags (no FMA contraction) holds in the
cold code too."""

from __future__ import annotations

import functools
import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tensordsl.backends.c import validate
from tensordsl.backends.c.render import COLD_LEVEL, CRenderer
from tensordsl.backends.c.scan_loop import ScanLoopRunner
from tensordsl.backends.c.schedule import ENTRY
from tensordsl.kernel.ir import Kernel, KernelInput, ScalarNode
from tensordsl.ops import scalar as ps
from tensordsl.scan import scan
from tensordsl.testing.strategies import arrays

from .kernels import check_kernel, run_c

_DEF = re.compile(r"^(?:static )?(?:__attribute__\(\(\w+\)\) )?"
                  r"(?:void|long long) (td_\w+)\(.*\)$")


def function_levels(source: str) -> dict[str, bool]:
    """name -> whether the function defined at file scope is inside a cold region."""
    cold, levels = [], {}
    for line in source.splitlines():
        if line == "#pragma GCC push_options":
            cold.append(False)
        elif line == f'#pragma GCC optimize("{COLD_LEVEL}")':
            cold[-1] = True
        elif line == "#pragma GCC pop_options":
            cold.pop()
        else:
            match = _DEF.match(line)
            if match:
                levels[match.group(1)] = any(cold)
    assert not cold, "every push_options is popped"
    return levels


def fma_kernel(ndim: int, dtype: str) -> Kernel:
    """out = in0 * in1 + in2: an FMA would round once, numpy rounds twice."""
    inputs = tuple(KernelInput(dtype, (False,) * ndim) for _ in range(3))
    body = (ScalarNode(dtype, input=0), ScalarNode(dtype, input=1), ScalarNode(dtype, input=2),
            ScalarNode(dtype, op=ps.get("mul"), args=(0, 1)),
            ScalarNode(dtype, op=ps.get("add"), args=(3, 2)))
    return Kernel(ndim, inputs, body, (4,), (dtype,), name="test fma")


def test_entry_and_gather_path_are_cold_loops_are_not():
    source = CRenderer(openmp=True).render(fma_kernel(2, "float64"), ENTRY)
    assert function_levels(source) == {f"{ENTRY}_flat": False, f"{ENTRY}_gather": True,
                                       f"{ENTRY}_strided": False, ENTRY: True}
    # the gather loop asks for no vectorisation; the unit-stride rows keep `omp simd`
    gather = source[source.index(f"{ENTRY}_gather(long"):source.index(f"{ENTRY}_strided(long")]
    assert "omp simd" not in gather
    strided = source[source.index(f"{ENTRY}_strided(long"):]
    assert "#pragma omp simd" in strided.split(f"void {ENTRY}(")[0]
    # one parallel region in the entry picks the flat or the strided path per thread
    assert source.count("#pragma omp parallel") == 1
    validate.check_source(source)


def test_one_dimensional_kernels_keep_their_single_strided_path():
    source = CRenderer(openmp=True).render(fma_kernel(1, "float32"), ENTRY)
    assert function_levels(source) == {f"{ENTRY}_flat": False, f"{ENTRY}_strided": False,
                                       ENTRY: True}


@settings(max_examples=40, deadline=None)
@given(st.data(), st.sampled_from(["float32", "float64", "int32", "int64"]),
       st.sampled_from([(0, 3), (1, 1), (3, 1), (1, 4), (3, 5), (2, 3, 4), (4, 0, 2)]))
def test_strided_and_gather_paths_match_numpy(data, dtype, shape):
    """Any layout of each operand (contiguous, transposed, strided, reversed; size-0 and
    size-1 dims): the unit-stride rows, the cold gather path and the flat path all give
    numpy's values."""
    kernel = fma_kernel(len(shape), dtype)
    elems = (st.integers(-1000, 1000) if dtype.startswith("int")
             else st.floats(-3, 3, width=32 if dtype == "float32" else 64))
    ins = [data.draw(arrays(dtype, shape, elements=elems)) for _ in range(3)]
    check_kernel(kernel, ins)


def test_gather_path_keeps_numpy_rounding_without_fma():
    """Transposed float64 operands take the -O1 gather path: a*b + c there rounds twice
    like numpy (an FMA, which `-ffp-contract=off` forbids, rounds once and differs in the
    last bit on about half of random inputs)."""
    rng = np.random.default_rng(5)
    a, b, c = (rng.standard_normal((40, 30)).T for _ in range(3))
    assert a.strides[1] != a.itemsize  # not unit-stride in the last dim: the gather path
    (got,) = run_c(fma_kernel(2, "float64"), [a, b, c])
    np.testing.assert_array_equal(got, a * b + c)


@functools.cache
def products(dtype: str) -> tensordsl.Function:
    """Products with a c operand of each layout the ?gemm wrapper copies (a bias row, a
    column broadcast, a full matrix given transposed), through the function driver."""
    x, w = T.matrix("x", dtype), T.matrix("w", dtype)
    b, col, full = T.vector("b", dtype), T.col("col", dtype), T.matrix("full", dtype)
    xw = T.dot(x, w)
    return tensordsl.function([x, w, b, col, full], [xw + b, xw + col, xw + full.T],
                              mode="FAST_RUN")


@settings(max_examples=30, deadline=None)
@given(st.data(), st.sampled_from(["float32", "float64"]), st.integers(1, 5),
       st.integers(0, 4), st.integers(1, 5))
def test_product_plus_broadcast_operand_matches_numpy(data, dtype, m, k, n):
    vals = st.floats(-3, 3, width=32 if dtype == "float32" else 64)
    x = data.draw(arrays(dtype, (m, k), elements=vals))
    w = data.draw(arrays(dtype, (k, n), elements=vals))
    b = data.draw(arrays(dtype, (n,), elements=vals))
    col = data.draw(arrays(dtype, (m, 1), elements=vals))
    full = data.draw(arrays(dtype, (n, m), elements=vals))
    xw = x.astype("float64") @ w
    tol = dict(rtol=2e-4, atol=2e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    got = products(dtype)(x, w, b, col, full)
    for value, want in zip(got, [xw + b, xw + col, xw + full.T]):
        assert value.dtype == np.dtype(dtype) and value.shape == (m, n)
        np.testing.assert_allclose(value, want.astype(dtype), **tol)


def test_scan_loop_control_is_cold_and_step_kernels_are_not():
    """The compiled scan loop's unit: the ?gemm wrapper and td_copy cold; the loop itself
    (its -O3 specialises the small products it calls), the step kernels' flat and
    unit-stride paths and the small product at -O3. Its values still equal numpy."""
    x, h0 = T.tensor3("x", "float32"), T.matrix("h0", "float32")
    w, u = T.matrix("w", "float32"), T.matrix("u", "float32")
    hs, _ = scan(lambda xt, h, w_, u_: T.tanh(T.dot(h, w_) + T.dot(xt, u_)),
                 sequences=[x], outputs_info=[h0], non_sequences=[w, u])
    fn = tensordsl.function([x, h0, w, u], hs, mode="FAST_RUN")
    rng = np.random.default_rng(2)
    # x given with its batch and feature dims swapped: a non-contiguous step slice
    xv = rng.standard_normal((6, 4, 3)).astype("float32").swapaxes(1, 2)
    hv = rng.standard_normal((3, 5)).astype("float32")
    wv = (0.3 * rng.standard_normal((5, 5))).astype("float32")
    uv = (0.3 * rng.standard_normal((4, 5))).astype("float32")
    got = fn(xv, hv, wv, uv)
    want, h = [], hv.astype("float64")
    for t in range(6):
        h = np.tanh(h @ wv + xv[t].astype("float64") @ uv)
        want.append(h)
    np.testing.assert_allclose(got, np.array(want), rtol=2e-4, atol=2e-5)
    (runner,) = [s.runner for s in fn.thunk.steps if isinstance(s.runner, ScanLoopRunner)]
    levels = function_levels(runner.source)
    # the values' array heads come from one table and a loop, not five lines per value
    assert "static const long long td_heads[" in runner.source
    assert not re.search(r"A\[\d+\]\.dims = ", runner.source)
    assert levels["td_copy"] and not levels["td_scan"]
    # the step's tanh reads the product's own workspace region (contiguous by
    # construction): its flat path always runs, so it has no strided rows path, only
    # the cold gather path kept for safety
    kernels = [name for name in levels if re.fullmatch(r"td_k\d+", name)]
    assert kernels and all(f"{k}_gather" in levels and f"{k}_strided" not in levels
                           for k in kernels), sorted(levels)
    assert all(cold for name, cold in levels.items() if name.startswith("td_gemm_"))
    assert not any(cold for name, cold in levels.items()
                   if name.endswith(("_flat", "_strided")) or name.startswith("td_small_"))


def test_a_step_kernel_reading_a_broadcast_bias_keeps_its_strided_rows_path():
    """h + b (b a row broadcast over the batch) cannot take the flat path: its kernel keeps
    the vectorised rows path; its values equal numpy."""
    x, h0 = T.tensor3("x", "float64"), T.matrix("h0", "float64")
    w, b = T.matrix("w", "float64"), T.vector("b", "float64")
    hs, _ = scan(lambda xt, h, w_, b_: T.tanh(T.dot(h, w_) + xt + b_),
                 sequences=[x], outputs_info=[h0], non_sequences=[w, b])
    fn = tensordsl.function([x, h0, w, b], hs, mode="FAST_RUN")
    rng = np.random.default_rng(4)
    xv, hv = rng.standard_normal((5, 3, 4)), rng.standard_normal((3, 4))
    wv, bv = 0.3 * rng.standard_normal((4, 4)), rng.standard_normal(4)
    want, h = [], hv
    for t in range(5):
        h = np.tanh(h @ wv + xv[t] + bv)
        want.append(h)
    np.testing.assert_allclose(fn(xv, hv, wv, bv), np.array(want), rtol=1e-10, atol=1e-12)
    (runner,) = [s.runner for s in fn.thunk.steps if isinstance(s.runner, ScanLoopRunner)]
    levels = function_levels(runner.source)
    assert any(re.fullmatch(r"td_k\d+_strided", name) for name in levels), sorted(levels)
