"""The on-disk cache (one build across processes, corruption detected, private directory),
the source checks and the vector-maths symbols of a built library."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
import uuid

import numpy as np
import pytest

from tensordsl.accuracy import ulp_bound, ulp_distance
from tensordsl.backends.c import build, cache, validate
from tensordsl.backends.c.schedule import kernel_source
from tensordsl.config import config
from tensordsl.errors import CompileError
from tensordsl.ops import scalar as ps

from .conftest import RENDERED
from .kernels import multi_op_kernel

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))

CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    import tensordsl
    from tensordsl import tensor as T
    from tensordsl.backends.c import cache
    x = T.dvector("x")
    f = tensordsl.function([x], T.exp(x) * float(sys.argv[1]))
    value = f(np.array([0.0, 1.0]))
    print(cache.BUILDS["count"], repr(value.tolist()))
""")


def test_four_processes_build_a_new_kernel_once(tmp_path):
    folder = tmp_path / "shared-cache"
    scale = str(1.0 + uuid.uuid4().int % 1000 / 997)  # a kernel no other run has built
    env = dict(os.environ, TENSORDSL_FLAGS=f"compiledir={folder}", PYTHONPATH=ROOT)
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, scale], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for _ in range(4)]
    results = [p.communicate(timeout=240) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in results]
    builds = [int(out.split()[0]) for out, _ in results]
    assert sum(builds) == 1, builds
    expected = [float(scale), float(np.exp(1.0) * float(scale))]
    for out, _ in results:
        # exp is a transcendental: within the accuracy contract's ulps of numpy, not bit
        # for bit (libmvec's vector exp and glibc's scalar exp differ by an ulp on some CPUs)
        got = np.array(ast.literal_eval(out.split(" ", 1)[1]))
        assert np.max(ulp_distance(got, np.array(expected))) <= ulp_bound("exp"), out
    assert (folder.stat().st_mode & 0o777) == 0o700
    assert len(list(folder.glob("*.so"))) == 1 and not list(folder.glob("td_tmp_*"))


BUNDLE_CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    import tensordsl
    from tensordsl import tensor as T
    from tensordsl.backends.c import cache
    scale, variant = float(sys.argv[1]), sys.argv[2]
    x, w = T.dmatrix("x"), T.dmatrix("w")
    shared = T.tanh(T.dot(x * scale, w))  # a kernel every variant has
    own = T.exp(x - scale) if variant == "a" else T.log1p(abs(x) + scale)
    f = tensordsl.function([x, w], [shared, own])
    xv = np.linspace(-1.0, 1.0, 6).reshape(2, 3)
    got = f(xv, np.ones((3, 2)))
    want = [np.tanh((xv * scale) @ np.ones((3, 2))),
            np.exp(xv - scale) if variant == "a" else np.log1p(abs(xv) + scale)]
    ok = all(np.allclose(g, e, rtol=1e-14) for g, e in zip(got, want))
    kernels = sum(step.kernel is not None for step in f.thunk.steps)
    driver = int(f.thunk.notes.get("driver") is not None)  # its unit joins the bundle
    print(cache.BUILDS["count"], cache.BUILDS["units"], ok, kernels, driver)
""")


def test_processes_building_overlapping_bundles_build_each_kernel_once(tmp_path):
    """Four processes, two functions sharing a kernel (each with one of its own): every
    kernel is compiled once in all, nobody deadlocks on the per-kernel locks, and every
    process gets numpy's values."""
    folder = tmp_path / "shared-cache"
    scale = str(1.0 + uuid.uuid4().int % 1000 / 997)  # kernels no other run has built
    env = dict(os.environ, TENSORDSL_FLAGS=f"compiledir={folder}", PYTHONPATH=ROOT)
    procs = [subprocess.Popen([sys.executable, "-c", BUNDLE_CHILD, scale, variant], env=env,
                              text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for variant in ("a", "b", "a", "b")]
    results = [p.communicate(timeout=240) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in results]
    counts = [out.split() for out, _ in results]
    assert all(c[2] == "True" for c in counts), counts
    kernels = int(counts[0][3])  # per function: the shared ones and its own one
    assert kernels >= 2 and all(int(c[3]) == kernels for c in counts), counts
    units = sum(int(c[1]) for c in counts)
    # a's and b's driver, when they run through one, are the same unit: a driver calls
    # its kernels through pointers, and both graphs have the same shape
    drivers = int(counts[0][4])
    # the shared ones, a's own, b's own (and each driver): each once
    assert units == kernels + 1 + drivers, counts
    # compiler runs: one build of a's units and one of b's missing ones, each split over
    # at most one run per usable core (cache._split)
    assert 1 <= sum(int(c[0]) for c in counts) <= 2 * cache.usable_cores(), counts
    assert not list(folder.glob("td_tmp_*")) and not list(folder.glob("td_src_*"))


def test_truncated_library_is_detected_and_rebuilt(tmp_path):
    source = kernel_source(multi_op_kernel(1, ("float64",), [(ps.get("log1p"), (0,))]))
    with config.change_flags(compiledir=str(tmp_path / "c")):
        path = cache.get_library(source)
        size = os.path.getsize(path)
        before = cache.BUILDS["count"]
        assert cache.get_library(source) == path and cache.BUILDS["count"] == before  # hit
        with open(path, "r+b") as f:
            f.truncate(size // 2)
        assert cache.get_library(source) == path
        assert cache.BUILDS["count"] == before + 1
        assert os.path.getsize(path) == size


def test_corrupted_library_is_rebuilt(tmp_path):
    source = kernel_source(multi_op_kernel(1, ("float64",), [(ps.get("expm1"), (0,))]))
    with config.change_flags(compiledir=str(tmp_path / "c")):
        path = cache.get_library(source)
        with open(path, "r+b") as f:
            f.seek(100)
            f.write(b"\xff" * 16)
        before = cache.BUILDS["count"]
        cache.get_library(source)
        assert cache.BUILDS["count"] == before + 1


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o722])
def test_directory_writable_by_others_is_refused(tmp_path, mode):
    folder = tmp_path / "open"
    folder.mkdir()
    folder.chmod(mode)
    with config.change_flags(compiledir=str(folder)):
        with pytest.raises(CompileError, match="writable by other users"):
            cache.get_library("void f(void) {}\n")


def test_new_directory_is_private(tmp_path):
    folder = tmp_path / "a" / "b"
    with config.change_flags(compiledir=str(folder)):
        assert cache.cache_dir() == str(folder)
    assert (folder.stat().st_mode & 0o777) == 0o700


def test_key_depends_on_flags_and_source():
    cc = build.find_compiler()
    key = build.build_key("int x;", cc)
    assert build.build_key("int y;", cc) != key
    with config.change_flags(cflags="-O2"):
        assert build.build_key("int x;", cc) != key
    assert build.build_key("int x;", cc) == key


@pytest.mark.parametrize("dtype,vector_prefix", [("float64", "_ZGV"), ("float32", "_ZGV")])
def test_library_calls_glibc_vector_maths(dtype, vector_prefix):
    """With `omp declare simd` prototypes and -fno-math-errno, the omp simd loop calls
    libmvec's variants (e.g. _ZGVdN4v_exp / _ZGVdN8v_erff)."""
    # float32 erf is the unit's own rational approximation (lowering.py), not erff
    names = ("exp", "log", "erf") if dtype == "float64" else ("exp", "log")
    ops = [(ps.get(name), (0,)) for name in names]
    kernel = multi_op_kernel(1, (dtype,), ops)
    path = cache.get_library(kernel_source(kernel))
    symbols = subprocess.run(["nm", "-D", path], capture_output=True, text=True).stdout
    f = "f" if dtype == "float32" else ""
    for name in names:
        assert any(line.split()[-1].startswith(vector_prefix) and
                   line.split()[-1].split("_", 2)[-1].split("@")[0] == name + f
                   for line in symbols.splitlines() if line.strip()), (name, symbols)


def test_sources_have_no_includes_and_parse():
    kernel = multi_op_kernel(2, ("float32", "int64"), [(ps.mod, (0, 1)), (ps.int_div, (1, 1)),
                                                       (ps.get("softplus"), (0,))])
    source = kernel_source(kernel)
    assert "#include" not in source
    validate.check_source(source)


def test_parse_failure_is_an_internal_error_showing_the_line():
    bad = "/* ok */\nint f(void)\n{\n    return 1 +;\n}\n"
    with pytest.raises(CompileError, match=r"internal error.*\n  line 4: return 1 \+;"):
        validate.check_source(bad)
    RENDERED.remove(bad)  # not a unit of the backend: keep the session-wide check clean


def test_user_names_appear_only_sanitised_in_comments():
    from tensordsl.kernel.ir import Kernel

    kernel = multi_op_kernel(1, ("float64",), [(ps.get("exp"), (0,))])
    evil = Kernel(kernel.ndim, kernel.inputs, kernel.body, kernel.outputs,
                  kernel.output_dtypes, name="x */ int evil; /* \n#include <stdio.h>")
    source = kernel_source(evil)
    assert "evil;" not in source and "#include" not in source and "*/ int" not in source


@pytest.mark.parametrize("how", ["get_library", "one unit", "bundle"])
def test_a_unit_failing_its_check_is_never_published(tmp_path, how):
    """The check (pycparser) runs while the compiler builds: a unit it rejects leaves no
    library, digest or record behind, and the check's error is what the caller sees; a
    unit it accepts is published once the compiler is done."""
    sources = [kernel_source(multi_op_kernel(1, ("float64",), [(ps.get(op), (0,))]))
               for op in ("sinh", "cosh")]
    seen: list[str] = []

    def reject(source: str) -> None:
        seen.append(source)
        raise CompileError("rejected by the test's check")

    units = [cache.Unit(s, "td_kernel") for s in sources[:1 if how == "one unit" else 2]]
    folder = tmp_path / "c"
    with config.change_flags(compiledir=str(folder)):
        before = cache.BUILDS["count"]
        with pytest.raises(CompileError, match="rejected by the test's check"):
            if how == "get_library":
                cache.get_library(sources[0], check=reject)
            else:
                cache.get_entries(units, check=reject)
        assert seen and cache.BUILDS["count"] == before
        left = sorted(p.name for p in folder.iterdir() if not p.name.endswith(".lock"))
        assert left == [], left
        seen.clear()
        if how == "get_library":
            path = cache.get_library(sources[0], check=seen.append)
            assert seen == [sources[0]] and os.path.exists(path)
        else:
            found = cache.get_entries(units, check=seen.append)
            assert sorted(seen) == sorted(u.source for u in units)
            assert all(os.path.exists(lib) for lib, _ in found)
        assert cache.BUILDS["count"] == before + 1
