"""MRGUniform compiled by the C backend (backends/c/mrg.py): the same bits as the numpy
reference (float32 and float64), the same state after every call, the distributions
built on it equal, no host perform, and the reference's errors."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import accuracy
from tensordsl.backends.c import mrg as c_mrg
from tensordsl.backends.c import validate
from tensordsl.backends.registry import get_backend
from tensordsl.config import config
from tensordsl.runtime.mode import target_mode
from tensordsl.sandbox.rng_mrg import MRG_RandomStreams, MRGUniform
from tests.rng_mrg_helpers import (
    SEEDS,
    SHAPES,
    any_states,
    draw_function,
    reference,
    same_bits,
    uniform_draws,
)

DTYPES = ["float32", "float64"]


def mrg_steps(fn):
    """The schedule steps of fn that run an MRGUniform node."""
    return [s for s in fn.thunk.steps if isinstance(s.node.op, MRGUniform)]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("size,nstreams", [((5, 7), None), ((1000,), None), ((3,), 10),
                                           ((101,), 7), ((2, 3), 1), ((4, 1, 3), 12)])
def test_draws_equal_the_reference_bit_for_bit(seed, size, nstreams, dtype):
    want, want_state, _ = uniform_draws("numpy", seed, size, dtype, nstreams, 3)
    got, got_state, fn = uniform_draws("c", seed, size, dtype, nstreams, 3)
    for g, w in zip(got, want):
        same_bits(g, w)
    same_bits(got_state, want_state)
    (step,) = mrg_steps(fn)
    assert step.compiled and isinstance(step.runner, c_mrg.MRGRunner)


@pytest.mark.parametrize("dtype", DTYPES)
def test_a_large_draw_on_threads_equals_the_reference(dtype, monkeypatch):
    """Above PARALLEL_MIN the blocks of streams run on OpenMP threads: same bits."""
    monkeypatch.setattr(c_mrg, "PARALLEL_MIN", 1000)
    n = 50_000 + 4099
    want, want_state, _ = uniform_draws("numpy", 99, (n,), dtype, 1000, 2)
    got, got_state, _ = uniform_draws("c", 99, (n,), dtype, 1000, 2)
    for g, w in zip(got, want):
        same_bits(g, w)
    same_bits(got_state, want_state)


@settings(max_examples=40, deadline=None)
@given(state=any_states(), shape=SHAPES, dtype=st.sampled_from(DTYPES),
       layout=st.sampled_from(["c", "fortran", "strided"]))
def test_any_state_and_size_equal_the_reference(state, shape, dtype, layout):
    """Explicit states (valid residues or arbitrary int32: the wrap-around sums) in any
    memory layout, any sample shape of 0-3 dims (0 samples, fewer than the streams, not a
    multiple of them)."""
    if layout == "fortran":
        state = np.asfortranarray(state)
    elif layout == "strided":
        state = np.repeat(state, 2, axis=0)[::2]
    before = state.copy()
    fn = draw_function("c", dtype, len(shape))
    new, sample = fn(state, np.asarray(shape, dtype="int64"))
    want_new, want_sample = reference(before, shape, dtype)
    same_bits(sample, want_sample)
    same_bits(new, want_new)
    np.testing.assert_array_equal(state, before)  # the caller's state is not changed
    assert mrg_steps(fn)[0].runner.calls >= 1


def test_symbolic_size_from_an_input_shape():
    import tensordsl.tensor as T

    x = T.matrix("x")
    rng_c, rng_n = MRG_RandomStreams(7), MRG_RandomStreams(7)
    outs = []
    for rng, backend in ((rng_c, "c"), (rng_n, "numpy")):
        u = rng.uniform((x.shape[0], 3), dtype="float64", nstreams=5)
        outs.append(tensordsl.function([x], u, mode=target_mode(backend)))
    for rows in (4, 1, 9):
        same_bits(outs[0](np.zeros((rows, 2))), outs[1](np.zeros((rows, 2))))
    (step,) = mrg_steps(outs[0])
    assert step.compiled


def test_no_host_perform_runs(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("MRGUniform.perform ran on the C backend")

    want, _, _ = uniform_draws("numpy", 5, (40,), "float32", None, 2)
    monkeypatch.setattr(MRGUniform, "perform", refuse)
    got, _, fn = uniform_draws("c", 5, (40,), "float32", None, 2)
    for g, w in zip(got, want):
        same_bits(g, w)
    assert mrg_steps(fn)[0].runner.calls == 2


@pytest.mark.parametrize("dtype", DTYPES)
def test_uniform_binomial_normal_built_on_it(dtype):
    def sampled(backend):
        rng = MRG_RandomStreams(2024)
        outs = [rng.uniform((30, 4), low=-2.0, high=3.0, dtype=dtype),
                rng.binomial((50,), p=0.3, dtype="int64"),
                # avg 0: an added mean would cancel digits and turn a few ulp of z
                # into many ulp of the sum (std 2 is an exact scaling)
                rng.normal((7, 9), avg=0.0, std=2.0, dtype=dtype)]
        fn = tensordsl.function([], outs, mode=target_mode(backend))
        return [fn() for _ in range(3)], fn

    got, fn = sampled("c")
    want, _ = sampled("numpy")
    for (gu, gb, gn), (wu, wb, wn) in zip(got, want):
        same_bits(gu, wu)  # u * (high - low) + low: IEEE arithmetic, exact
        same_bits(gb, wb)
        # Box-Muller uses log, sqrt, cos, sin: libm bounds (tensordsl.accuracy)
        assert gn.dtype == wn.dtype and gn.shape == wn.shape
        assert accuracy.within_ulps(gn, wn, 4 * accuracy.ulp_bound("log")).all()
    assert len(mrg_steps(fn)) == 3 and all(s.compiled for s in mrg_steps(fn))


def test_float16_runs_the_host_perform_and_still_equals():
    want, want_state, _ = uniform_draws("numpy", 3, (20,), "float16", None, 2)
    got, got_state, fn = uniform_draws("c", 3, (20,), "float16", None, 2)
    for g, w in zip(got, want):
        same_bits(g, w)
    same_bits(got_state, want_state)
    assert not mrg_steps(fn)[0].compiled


def test_errors_are_the_references():
    fn = draw_function("c", "float64", 1)
    with pytest.raises(ValueError, match="non-negative"):
        fn(np.ones((2, 6), "int32"), np.asarray([-1]))
    with pytest.raises(ValueError, match=r"int32 \(streams, 6\) matrix"):
        fn(np.ones((2, 5), "int32"), np.asarray([3]))
    with pytest.raises(ValueError, match="no stream"):
        fn(np.ones((0, 6), "int32"), np.asarray([3]))
    new, sample = fn(np.ones((0, 6), "int32"), np.asarray([0]))
    assert new.shape == (0, 6) and sample.shape == (0,)


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_unit_is_a_fixed_validated_template(dtype):
    seen: list[str] = []
    validate.add_observer(seen.append)
    try:
        serial = c_mrg.render_mrg(dtype, openmp=False)
        validate.check_source(serial)
        text = c_mrg.render_mrg(dtype, openmp=True)
        validate.check_source(text)
    finally:
        validate.remove_observer(seen.append)
    assert seen == [serial, text]
    assert "#pragma omp" in text and "#pragma" not in serial
    assert text == c_mrg.render_mrg(dtype, openmp=True)  # deterministic
    assert "#include" not in text
    _, _, fn = uniform_draws("c", 11, (8,), dtype, None, 1)
    sources = get_backend("c").sources(fn.maker.fgraph)
    texts = [s.text for s in sources if s.entry == c_mrg.ENTRY]
    assert texts == [c_mrg.render_mrg(dtype, config.openmp)]


def test_a_large_sample_buffer_is_reused_only_when_nobody_holds_it():
    want, _, _ = uniform_draws("numpy", 8, (300_000,), "float32", 1000, 3)
    _, _, fn = uniform_draws("c", 8, (300_000,), "float32", 1000, 0)
    first = fn()
    held = first.copy()
    second = fn()  # `first` is still held: a new buffer
    assert not np.shares_memory(first, second)
    same_bits(first, held)
    same_bits(first, want[0])
    same_bits(second, want[1])
    address = second.ctypes.data
    del first, second
    third = fn()  # nobody holds the last buffer any more: reused (no fresh pages)
    assert third.ctypes.data == address
    same_bits(third, want[2])
