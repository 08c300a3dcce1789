"""A bundle's units are merged into one translation unit (one cc1 run): each unit's
file-scope names (static helpers, typedefs, struct tags) are renamed inside it only, its
outside declarations are kept, and every kind of unit the C backend emits (kernels,
reductions, row-blocks, scan loops, MRG draws, function drivers) can be merged."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

import tensordsl
from tensordsl import tensor as T
from tensordsl.backends.c import build, cache, merge, validate
from tensordsl.config import config
from tensordsl.ops import scalar as ps
from tensordsl.sandbox.rng_mrg import MRG_RandomStreams
from tensordsl.scan import scan

from .test_rowblock import model

SOURCE = r"""
/* a comment with { braces } and static int fake(void); */
typedef struct {
    int nd;
    long long *dims;
} td_array;
typedef void (*td_fn)(char *, int *);
struct td_tag { int a; };
#pragma omp declare simd notinbranch
float expf(float);
int omp_get_thread_num(void);
static const double td_table[3] = {1.0, 0x1.8p+1, 2e-3};
static int td_a, td_b[2];
static inline float td_helper(float x) { return x > 0 ? x : "}"[0]; }
static void __attribute__((noinline)) td_kernel_flat(long long lo, long long hi)
{
    for (long long i = lo; i < hi; i++) { if (i) { td_a += 1; } }
}
void td_kernel(td_array *a)
{
    td_kernel_flat(0, a->dims[0]);
}
"""


def test_file_scope_names_are_the_static_and_typedef_ones():
    assert merge.file_scope_names(SOURCE) == [
        "td_array", "td_fn", "td_tag", "td_table", "td_a", "td_b", "td_helper",
        "td_kernel_flat"]


@pytest.mark.parametrize("source", [
    "enum { A, B };\nvoid f(void) {}\n",          # enum constants are not renamed
    "static void f(void) {\n",                     # unbalanced
    "void f(void) { } }\n",                        # unbalanced
    "static int;\n",                               # nothing to name
    "int g(void)\n",                               # no end
])
def test_what_the_scanner_does_not_read_is_refused(source):
    assert merge.file_scope_names(source) is None
    assert merge.merge([("void h(void) {}\n", {}), (source, {})]) is None


def test_merge_renames_each_units_names_inside_it_only():
    first = "static int td_x(void) { return 1; }\nint td_kernel(void) { return td_x(); }\n"
    second = "static int td_x(void) { return 2; }\nint td_kernel(void) { return td_x(); }\n"
    text = merge.merge([(first, {"td_kernel": "td_kernel_a"}),
                        (second, {"td_kernel": "td_kernel_b"})])
    assert text is not None
    assert "#define td_kernel td_kernel_a\n#define td_x td_x_u0\n" in text
    assert "#define td_kernel td_kernel_b\n#define td_x td_x_u1\n" in text
    assert text.count("#undef td_x\n") == 2 and text.index(first) < text.index(second)


def test_merged_units_with_clashing_names_link_into_one_library(tmp_path):
    """Two units each defining td_array, a static helper and a typedef of the same names,
    both declaring expf: one translation unit, the right value from each entry."""
    import ctypes

    def unit(scale: float) -> str:
        return ("typedef struct { double *data; } td_array;\n"
                "#pragma omp declare simd notinbranch\ndouble exp(double);\n"
                f"static double td_k_flat(double x) {{ return exp(x) * {scale!r}; }}\n"
                "double td_kernel(td_array *a) { return td_k_flat(a->data[0]); }\n")

    cc = build.find_compiler()
    if cc is None:
        pytest.skip("no C compiler")
    target = str(tmp_path / "b.so")
    build.compile_bundle([(unit(2.0), {"td_kernel": "td_kernel_a"}),
                          (unit(3.0), {"td_kernel": "td_kernel_b"})], target, cc)
    lib = ctypes.CDLL(target)
    x = ctypes.c_double(0.5)

    class Array(ctypes.Structure):
        _fields_ = [("data", ctypes.POINTER(ctypes.c_double))]

    arg = Array(ctypes.pointer(x))
    for name, scale in (("td_kernel_a", 2.0), ("td_kernel_b", 3.0)):
        fn = getattr(lib, name)
        fn.restype = ctypes.c_double
        assert abs(fn(ctypes.byref(arg)) - np.exp(0.5) * scale) <= 4e-16 * np.exp(0.5) * scale


def test_a_unit_the_scanner_refuses_still_builds_as_its_own_file(tmp_path):
    cc = build.find_compiler()
    if cc is None:
        pytest.skip("no C compiler")
    odd = "enum { TD_N = 3 };\nint td_kernel(void) { return TD_N; }\n"
    plain = "static int td_x(void) { return 4; }\nint td_kernel(void) { return td_x(); }\n"
    target = str(tmp_path / "b.so")
    build.compile_bundle([(odd, {"td_kernel": "td_kernel_a"}),
                          (plain, {"td_kernel": "td_kernel_b"})], target, cc)
    import ctypes

    lib = ctypes.CDLL(target)
    assert (lib.td_kernel_a(), lib.td_kernel_b()) == (3, 4)


def test_every_kind_of_generated_unit_can_be_merged(tmp_path):
    """The units of a function with a scan loop, its gradient's loop, an MRG draw, a
    reduction and a driver, and of a logistic regression step (a row-block): the scanner
    reads every one (none falls back to one file per unit), and the values are right."""
    seen: list[str] = []
    validate.add_observer(seen.append)
    scale = 0.5 + uuid.uuid4().int % 1000 / 4001  # units no other test built
    try:
        with config.change_flags(compiledir=str(tmp_path / "c")):
            x, h0 = T.dvector("x"), T.dscalar("h0")
            m = T.dmatrix("m")
            hs, _ = scan(lambda v, a: T.tanh(a * scale + v), sequences=x, outputs_info=h0)
            gx = tensordsl.grad(T.sum(hs), x)
            noise = MRG_RandomStreams(7).uniform((3,))
            sm = T.nnet.softmax(m * scale)
            before = cache.BUILDS["units"]
            f = tensordsl.function([x, h0, m], [hs, gx, sm.sum(axis=1), noise])
            assert cache.BUILDS["units"] > before + 2
            xv, mv = np.linspace(-1, 1, 5), np.arange(6.0).reshape(2, 3)
            got = f(xv, 0.3, mv)
            linear = model(None, "logistic", "float64", True, 3)  # a row-block
            rng = np.random.default_rng(1)
            args = (rng.standard_normal((4, 3)), rng.random(4), rng.standard_normal(3), 0.2)
            got_linear = linear(*args)
    finally:
        validate.remove_observer(seen.append)
    kinds = {s.split("*/")[0].split(":")[0].strip("/* \n") for s in seen}
    assert {"tensordsl compiled function driver", "tensordsl compiled scan loop",
            "tensordsl row-block kernel", "tensordsl kernel Reduce_add"} <= kinds, kinds
    assert any(k.startswith("tensordsl MRG31k3p") for k in kinds), kinds
    for source in seen:
        names = merge.file_scope_names(source)
        assert names is not None and "td_array" in names, source[:300]
    a, want = 0.3, []
    for v in xv:
        a = np.tanh(a * scale + v)
        want.append(a)
    np.testing.assert_allclose(got[0], want, rtol=1e-13)
    hs_v, gh, gx_want = np.array(want), 0.0, np.zeros(len(xv))
    for t in range(len(xv) - 1, -1, -1):  # back through h_t = tanh(h_{t-1} * scale + x_t)
        gh = 1.0 + gh * (1 - hs_v[t + 1] ** 2) * scale if t + 1 < len(xv) else 1.0
        gx_want[t] = gh * (1 - hs_v[t] ** 2)
    np.testing.assert_allclose(got[1], gx_want, rtol=1e-12)
    e = np.exp(mv * scale - (mv * scale).max(axis=1, keepdims=True))
    np.testing.assert_allclose(got[2], (e / e.sum(axis=1, keepdims=True)).sum(axis=1),
                               rtol=1e-13)
    reference = model("FAST_COMPILE", "logistic", "float64", True, 3)(*args)
    for value, want_value in zip(got_linear, reference):
        np.testing.assert_allclose(value, want_value, rtol=1e-12)
    assert got[3].shape == (3,) and np.all((got[3] > 0) & (got[3] < 1))


@pytest.mark.parametrize("openmp", [True, False])
def test_path_functions_are_noinline_only_under_openmp(openmp):
    """Under OpenMP each path function has two calls (parallel region, serial branch):
    `noinline` keeps one copy of its loops; without OpenMP (the standalone dump) it has
    one call and the unit stays plain C99. pycparser reads both (`validate.parseable`)."""
    from tensordsl.backends.c.render import CRenderer
    from tensordsl.backends.c.schedule import ENTRY

    from .kernels import multi_op_kernel

    kernel = multi_op_kernel(2, ("float64",), [(ps.get("exp"), (0,))])
    source = CRenderer(openmp=openmp).render(kernel, ENTRY)
    heads = [line for line in source.splitlines() if line.startswith("static ")]
    assert len(heads) == 3  # _flat, _gather (cold code), _strided
    assert all(("__attribute__((noinline))" in h) == openmp for h in heads), heads
    validate.check_source(source)
    assert merge.file_scope_names(source) == ["td_array", f"{ENTRY}_flat", f"{ENTRY}_gather",
                                              f"{ENTRY}_strided"]


def test_a_bundle_renames_only_between_identifiers(tmp_path):
    from tensordsl.errors import CompileError

    with pytest.raises(CompileError, match="C identifiers"):
        build.compile_bundle([("int td_kernel;\n", {"td_kernel": "g; int evil"})],
                             str(tmp_path / "b.so"), "cc")
    assert not list(tmp_path.iterdir())  # nothing written
