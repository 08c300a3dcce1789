"""Every unit a function needs joins its ONE bundle build: kernels, compiled scan loops,
row-blocks, MRG draws and the function driver; each runner then finds its unit in the
disk cache by its key (a second function sharing them builds nothing)."""

from __future__ import annotations

import os
import uuid

import numpy as np
import pytest

import tensordsl
from tensordsl import tensor as T
from tensordsl.backends.c import cache, schedule
from tensordsl.backends.c.mrg import MRGRunner
from tensordsl.backends.c.scan_loop import ScanLoopRunner
from tensordsl.config import config
from tensordsl.ops.rowblock import RowBlock
from tensordsl.runtime.mode import target_mode
from tensordsl.sandbox.rng_mrg import MRG_RandomStreams
from tensordsl.scan import scan


@pytest.fixture
def fresh_dir(tmp_path, monkeypatch):
    """A fresh cache on one core: a function's units all go to ONE compiler run (on more
    cores a function of much source gets one run per core, see test_bundle.py)."""
    monkeypatch.setattr(cache, "usable_cores", lambda: 1)
    with config.change_flags(compiledir=str(tmp_path / "c")):
        yield tmp_path / "c"


def _counts() -> tuple[int, int]:
    return cache.BUILDS["count"], cache.BUILDS["units"]


def _runners(f, kind) -> list:
    return [s.runner for s in f.thunk.steps if isinstance(s.runner, kind)]


def _units(f) -> int:
    """The distinct units a function's steps (and driver) asked the cache for."""
    sources = {schedule.step_source(s)[0] for s in f.thunk.steps if s.compiled}
    driver = f.thunk.notes.get("driver")
    return len(sources | ({driver.source} if driver is not None else set()))


def _recurrence(scale: float):
    """Two scan loops (the forward one and its gradient's) and kernels around them."""
    x, h0 = T.dvector("x"), T.dscalar("h0")
    hs, _ = scan(lambda v, a: T.tanh(a * scale + v), sequences=x, outputs_info=h0)
    gx = tensordsl.grad(T.sum(hs), x)
    return [x, h0], [hs * 2.0 + 1.0, gx]


def _numpy_recurrence(scale: float, x: np.ndarray, h0: float) -> list[np.ndarray]:
    hs, a = [], h0
    for v in x:
        a = np.tanh(a * scale + v)
        hs.append(a)
    hs = np.array(hs)
    # d sum(hs) / d x: back through h_t = tanh(h_{t-1} * scale + x_t)
    gx, carry = np.zeros_like(x), 0.0
    for t in range(len(x) - 1, -1, -1):
        carry = (1.0 + carry) * (1.0 - hs[t] ** 2)
        gx[t] = carry
        carry *= scale
    return [hs * 2.0 + 1.0, gx]


def test_scan_loops_build_with_the_kernels_in_one_run_and_a_second_function_hits(fresh_dir):
    scale = 0.5 + uuid.uuid4().int % 1000 / 4001
    x, h0 = np.linspace(-1.0, 1.5, 7), 0.3
    before = _counts()
    f = tensordsl.function(*_recurrence(scale))
    loops = _runners(f, ScanLoopRunner)
    assert len(loops) == 2  # both loops compiled: their inner kernel names do not clash
    assert _counts() == (before[0] + 1, before[1] + _units(f))
    assert all(os.path.basename(r.library).startswith("td_b") for r in loops)
    for got, want in zip(f(x, h0), _numpy_recurrence(scale, x, h0)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    # each loop ran once, the forward one at least through its compiled unit
    assert all(r.foreign_calls + r.python_loops == 1 for r in loops)
    assert any(r.foreign_calls == 1 for r in loops)
    # a second function of the same graph, with only the disk cache to answer: no build
    # (a loop that took its Python loop compiled its step on that call: counted before)
    schedule._compiled.clear()
    before = _counts()
    g = tensordsl.function(*_recurrence(scale))
    assert _counts() == before
    assert sorted(r.library for r in _runners(g, ScanLoopRunner)) == sorted(
        r.library for r in loops)
    for got, want in zip(g(x[:3], -h0), _numpy_recurrence(scale, x[:3], -h0)):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


def _draws_and_rowblock(seed: int, mode):
    """A logistic-regression step (a RowBlock) and two MRG draws of different dtypes."""
    x, y, w = T.dmatrix("x"), T.dvector("y"), T.dvector("w")
    p = 1 / (1 + T.exp(-T.dot(x, w)))
    cost = T.mean(-y * T.log(p) - (1 - y) * T.log(1 - p))
    gw = tensordsl.grad(cost, w)
    rng = MRG_RandomStreams(seed)
    u64 = rng.uniform((x.shape[0], 3), dtype="float64", nstreams=5)
    u32 = rng.uniform((4,), dtype="float32", nstreams=3)
    return tensordsl.function([x, y, w], [cost, gw, u64, u32], mode=mode)


def test_rowblock_and_mrg_units_join_the_bundle(fresh_dir):
    seed = 1 + uuid.uuid4().int % 10_000
    before = _counts()
    f = _draws_and_rowblock(seed, None)
    draws = _runners(f, MRGRunner)
    assert len(draws) == 2
    assert {r.dtype for r in draws} == {np.dtype("float32"), np.dtype("float64")}
    assert any(isinstance(s.node.op, RowBlock) and s.compiled for s in f.thunk.steps)
    assert _counts() == (before[0] + 1, before[1] + _units(f))
    ref = _draws_and_rowblock(seed, target_mode("numpy"))
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal((50, 6)), (rng.random(50) > 0.5).astype(float)
    w = rng.standard_normal(6)
    got, want = f(x, y, w), ref(x, y, w)
    for a, b in zip(got[:2], want[:2]):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    for a, b in zip(got[2:], want[2:]):  # integer generator: the same draws
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert all(r.calls == 1 for r in draws)
