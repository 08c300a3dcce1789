"""A function's missing kernels build in ONE compiler run (one bundle library), and each
kernel is found in the disk cache by its own key afterwards (a later function sharing a
kernel hits the cache); corrupted bundles and records are detected and rebuilt."""

from __future__ import annotations

import ctypes
import os
import uuid

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tensordsl.accuracy import ulp_bound, ulp_distance
from tensordsl.backends.c import build, cache, runtime, schedule
from tensordsl.backends.c.schedule import kernel_source
from tensordsl.config import config
from tensordsl.errors import CompileError
from tensordsl.ops import scalar as ps

from .kernels import multi_op_kernel


def _units(*names: str, dtype: str = "float64") -> list[cache.Unit]:
    """One kernel unit per scalar op name (each a different source)."""
    return [cache.Unit(kernel_source(multi_op_kernel(1, (dtype,), [(ps.get(n), (0,))])),
                       schedule.ENTRY, schedule.RAW) for n in names]


def _close(got: np.ndarray, want: np.ndarray, name: str) -> None:
    """Within the accuracy contract's ulps of numpy (transcendentals: never bit for bit)."""
    assert np.max(ulp_distance(got, want)) <= ulp_bound(name), (got, want)


def _call(lib: str, symbol: str, x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    runtime.load_entry(lib, symbol, 2)(x, out)
    return out


@pytest.fixture
def fresh_dir(tmp_path):
    with config.change_flags(compiledir=str(tmp_path / "c")):
        yield tmp_path / "c"


def _counts() -> tuple[int, int]:
    return cache.BUILDS["count"], cache.BUILDS["units"]


def test_missing_units_build_in_one_compiler_run(fresh_dir):
    units = _units("exp", "log1p", "tanh")
    before = _counts()
    found = cache.get_entries(units)
    assert _counts() == (before[0] + 1, before[1] + 3)
    libs = {lib for lib, _ in found}
    assert len(libs) == 1 and os.path.basename(libs.pop()).startswith("td_b")
    assert len({sym for _, sym in found}) == 3
    x = np.linspace(0.1, 2.0, 7)
    for (lib, sym), fn in zip(found, (np.exp, np.log1p, np.tanh)):
        _close(_call(lib, sym, x), fn(x), fn.__name__)
    # all hits now, the same (library, symbol) each
    assert cache.get_entries(units) == found and _counts() == (before[0] + 1, before[1] + 3)


def test_a_unit_of_a_bundle_is_found_by_its_own_key(fresh_dir):
    first = cache.get_entries(_units("exp", "log1p", "sinh"))
    before = _counts()
    shared, new = _units("log1p", "cosh")
    found = cache.get_entries([shared, new])
    assert found[0] == first[1]  # the bundle's library and symbol
    assert _counts() == (before[0] + 1, before[1] + 1)  # only cosh built, alone
    assert found[1] == (str(fresh_dir / os.path.basename(found[1][0])), schedule.ENTRY)
    assert cache.get_entry(shared.source, shared.entry) == first[1]
    x = np.array([0.0, 0.5, 3.0])
    _close(_call(*found[0], x), np.log1p(x), "log1p")
    _close(_call(*found[1], x), np.cosh(x), "cosh")


def test_duplicate_units_are_built_once(fresh_dir):
    a, b = _units("exp", "expm1")
    before = _counts()
    found = cache.get_entries([a, b, a])
    assert found[0] == found[2] and _counts() == (before[0] + 1, before[1] + 2)


def test_corrupted_bundle_is_rebuilt(fresh_dir):
    units = _units("exp", "log", "sqrt")
    lib, _ = cache.get_entries(units)[0]
    size = os.path.getsize(lib)
    with open(lib, "r+b") as f:
        f.seek(size // 2)
        f.write(b"\xff" * 16)
    before = _counts()
    again = cache.get_entries(units)
    assert _counts() == (before[0] + 1, before[1] + 3)
    assert again[0][0] == lib and cache.file_hash(lib) == open(lib[:-3] + ".sha256").read().strip()


@pytest.mark.parametrize("text", ["td_bnothex.so\ntd_kernel\n", "../../evil.so\nf\n", "", "x"])
def test_a_record_we_did_not_write_is_not_trusted(fresh_dir, text):
    units = _units("exp", "log")
    found = cache.get_entries(units)
    key = build.build_key(units[0].source, build.find_compiler())
    with open(fresh_dir / f"td_{key[:40]}.entry", "w") as f:
        f.write(text)
    before = _counts()
    lib, symbol = cache.get_entry(units[0].source, units[0].entry)
    assert _counts() == (before[0] + 1, before[1] + 1)  # built again, alone
    assert (lib, symbol) != found[0] and symbol == schedule.ENTRY
    x = np.array([0.25, 1.0])
    _close(_call(lib, symbol, x), np.exp(x), "exp")


def test_zero_d_kernels_keep_their_raw_entry_in_a_bundle(fresh_dir):
    kernels = [multi_op_kernel(0, ("float64",), [(ps.get(n), (0,))]) for n in ("exp", "tanh")]
    units = [cache.Unit(kernel_source(k), schedule.ENTRY, schedule.RAW) for k in kernels]
    found = cache.get_entries(units)
    for (lib, symbol), fn in zip(found, (np.exp, np.tanh)):
        raw = getattr(ctypes.CDLL(lib), symbol + "_raw")
        x, out = ctypes.c_double(0.7), ctypes.c_double()
        args = (ctypes.c_void_p * 2)(ctypes.addressof(x), ctypes.addressof(out))
        raw(args)
        _close(np.array(out.value), fn(np.array(0.7)), fn.__name__)


def test_renaming_accepts_only_identifiers():
    with pytest.raises(CompileError, match="C identifiers"):
        build.renamed_unit("void f(void) {}\n", {"f": "g; int evil"})
    assert build.renamed_unit("void f(void) {}\n", {"f": "g_1"}).startswith("#define f g_1\n")


def _kernel_count(f) -> int:
    return sum(step.kernel is not None for step in f.thunk.steps)


def _driver_count(f) -> int:
    """1 when the function runs through a driver: its unit joins the kernels' bundle."""
    return int(f.thunk.notes.get("driver") is not None)


def _graph(scale: float):
    x, w = T.dmatrix("x"), T.dmatrix("w")
    h = T.tanh(T.dot(T.exp(x * scale), w) + scale)
    return [x, w], [h, (h * h).sum(axis=1)]


def _numpy(scale: float, x: np.ndarray, w: np.ndarray) -> list[np.ndarray]:
    h = np.tanh(np.exp(x * scale) @ w + scale)
    return [h, (h * h).sum(axis=1)]


def test_a_function_builds_its_kernels_in_one_run_and_a_second_one_hits(fresh_dir,
                                                                         monkeypatch):
    # one core: the bundle is not split into one run per core (`cache._split`, tested
    # on its own), whatever the size of the kernels' source
    monkeypatch.setattr(cache, "usable_cores", lambda: 1)
    scale = 0.5 + uuid.uuid4().int % 1000 / 4001  # kernels no other test built
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((4, 3)), rng.standard_normal((3, 5))
    before = _counts()
    f = tensordsl.function(*_graph(scale))
    n = _kernel_count(f) + _driver_count(f)
    assert n >= 2 and _counts() == (before[0] + 1, before[1] + n)
    for got, want in zip(f(x, w), _numpy(scale, x, w)):
        np.testing.assert_allclose(got, want, rtol=1e-13)
    # a second function: the same graph plus one more kernel; forget what this process
    # loaded, so only the disk cache can answer
    schedule._compiled.clear()
    inputs, outputs = _graph(scale)
    g = tensordsl.function(inputs, [*outputs, T.sqrt(abs(inputs[0]) + 2.0 * scale)])
    assert _kernel_count(g) + _driver_count(g) == n + 1
    # only the new kernel (and the new driver) built, in one run
    assert _counts() == (before[0] + 2, before[1] + n + 1 + _driver_count(g))
    for got, want in zip(g(x, w), [*_numpy(scale, x, w), np.sqrt(abs(x) + 2.0 * scale)]):
        np.testing.assert_allclose(got, want, rtol=1e-13)


@settings(max_examples=10, deadline=None)
@given(rows=st.integers(0, 5), cols=st.integers(1, 4), dtype=st.sampled_from(["float32",
                                                                              "float64"]))
def test_bundled_function_equals_numpy(rows, cols, dtype):
    x, w = T.matrix("x", dtype=dtype), T.matrix("w", dtype=dtype)
    h = T.tanh(T.dot(T.exp(x * 0.5), w) + 1.0)
    f = tensordsl.function([x, w], [h, h.sum(axis=0)])
    rng = np.random.default_rng(rows * 10 + cols)
    xv = rng.standard_normal((rows, 3)).astype(dtype)
    wv = rng.standard_normal((3, cols)).astype(dtype)
    want = np.tanh(np.exp(xv * 0.5) @ wv + 1.0)
    tol = 1e-5 if dtype == "float32" else 1e-13
    got = f(xv, wv)
    np.testing.assert_allclose(got[0], want, rtol=tol, atol=tol)
    np.testing.assert_allclose(got[1], want.sum(axis=0), rtol=tol, atol=tol * 5)


def test_a_unit_failing_its_check_publishes_nothing(fresh_dir):
    units = _units("exp", "log", "sqrt", dtype="float32")
    bad = units[1].source

    def check(source: str) -> None:
        if source == bad:
            raise CompileError("internal error: rejected")

    with pytest.raises(CompileError, match="rejected"):
        cache.get_entries(units, check)
    assert not list(fresh_dir.glob("*.so")) and not list(fresh_dir.glob("*.entry"))
    assert not list(fresh_dir.glob("td_tmp_*")) and not list(fresh_dir.glob("td_src_*"))
    assert len({lib for lib, _ in cache.get_entries(units)}) == 1  # builds once checked


@pytest.mark.parametrize("cores,runs", [(1, 1), (2, 2), (4, 2)])
def test_a_large_batch_gets_one_run_per_core(fresh_dir, monkeypatch, cores, runs):
    """16 units: one run on one core; on more, one run per core with at least
    MIN_SOURCE_PER_RUN characters of source in each (so 2 runs, not 4, on 4 cores)."""
    names = ["exp", "log", "sqrt", "tanh", "sinh", "cosh", "log1p", "expm1"]
    units = _units(*names) + _units(*names, dtype="float32")
    total = sum(len(u.source) for u in units)
    monkeypatch.setattr(cache, "MIN_SOURCE_PER_RUN", total // 2)
    monkeypatch.setattr(cache, "usable_cores", lambda: cores)
    before = _counts()
    found = cache.get_entries(units)
    assert _counts() == (before[0] + runs, before[1] + 16)
    assert len({lib for lib, _ in found}) == runs
    x = np.linspace(0.5, 1.5, 5)
    for i, ((lib, sym), name) in enumerate(zip(found, names * 2)):
        xs = x if i < len(names) else x.astype("float32")
        _close(_call(lib, sym, xs), getattr(np, name)(xs), name)
    assert cache.get_entries(units) == found  # every unit found again by its own key


def test_runs_are_balanced_by_source_size(monkeypatch):
    """A large unit (a compiled scan loop) gets a run of its own, the small ones share the
    other; the same set always makes the same bundles; little source makes one run."""
    monkeypatch.setattr(cache, "usable_cores", lambda: 2)
    monkeypatch.setattr(cache, "MIN_SOURCE_PER_RUN", 100)
    sizes = {"k1": 1000, "k2": 300, "k3": 300, "k4": 200, "k5": 100}
    units = {k: cache.Unit("x" * n, "td_kernel") for k, n in sizes.items()}
    groups = cache._split(units)
    assert [sorted(g) for g in groups] == [["k1"], ["k2", "k3", "k4", "k5"]]
    assert cache._split(dict(reversed(units.items()))) == groups
    monkeypatch.setattr(cache, "MIN_SOURCE_PER_RUN", 2000)
    assert [sorted(g) for g in cache._split(units)] == [sorted(sizes)]
    monkeypatch.setattr(cache, "usable_cores", lambda: 8)
    monkeypatch.setattr(cache, "MIN_SOURCE_PER_RUN", 1)
    assert len(cache._split(units)) == 5  # never more runs than units
