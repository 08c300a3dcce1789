"""MRGUniform on the OpenCL device (backends/opencl/mrg.py): the same bits as the numpy
reference (float32 and float64), the same state, the distributions built on it, and
the state staying on the device between calls (no host<->device copy of it)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import accuracy
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

from .helpers import device_view, needs_opencl

pytestmark = needs_opencl
DTYPES = ["float32", "float64"]


def mrg_steps(fn):
    return [s for s in fn.thunk.steps if isinstance(s.node.op, MRGUniform)]


def transfers() -> dict:
    from tensordsl.backends.opencl.runtime import TRANSFERS

    return dict(TRANSFERS)


def per_call(fn, calls: int = 4) -> dict:
    """Host<->device copies per call of fn (after a first, warming call)."""
    fn()
    before = transfers()
    for _ in range(calls):
        fn()
    after = transfers()
    return {k: (after.get(k, 0) - before.get(k, 0)) / calls for k in ("to_device", "to_host")}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("size,nstreams", [((5, 7), None), ((1000,), None), ((3,), 10),
                                           ((101,), 7), ((2, 3), 1), ((300,), 150)])
def test_draws_equal_the_reference_bit_for_bit(seed, size, nstreams, dtype):
    want, want_state, _ = uniform_draws("numpy", seed, size, dtype, nstreams, 3)
    got, got_state, fn = uniform_draws("opencl", seed, size, dtype, nstreams, 3)
    for g, w in zip(got, want):
        same_bits(g, w)
    same_bits(got_state, want_state)
    (step,) = mrg_steps(fn)
    assert fn.thunk.notes["where"][fn.thunk.steps.index(step)] == "device"


@settings(max_examples=30, deadline=None)
@given(state=any_states(max_streams=300), shape=SHAPES,
       dtype=st.sampled_from(DTYPES), on_device=st.booleans())
def test_any_state_and_size_equal_the_reference(state, shape, dtype, on_device):
    """Explicit states (valid residues or arbitrary int32), given as numpy arrays or as
    device arrays (a strided device view too), any sample shape of 0-3 dims."""
    before = state.copy()
    arg = state
    if on_device:
        arg = device_view(np.repeat(state, 2, axis=0)[::2])
    fn = draw_function("opencl", dtype, len(shape))
    new, sample = fn(arg, np.asarray(shape, dtype="int64"))
    want_new, want_sample = reference(before, shape, dtype)
    same_bits(sample, want_sample)
    same_bits(new, want_new)
    np.testing.assert_array_equal(state, before)


def test_the_state_stays_on_the_device_between_calls():
    """A function drawing from a shared state: per call, no upload at all and one
    download (the samples the caller asked for); the state's update never crosses."""
    rng = MRG_RandomStreams(31)
    u = rng.uniform((64, 32), dtype="float32")
    fn = tensordsl.function([], u, mode=target_mode("opencl"))
    (state, _, _, _), = rng.state_updates
    assert per_call(fn) == {"to_device": 0, "to_host": 1}
    assert state.on_device
    summed = tensordsl.function([], u.sum(), mode=target_mode("opencl"))
    assert per_call(summed) == {"to_device": 0, "to_host": 1}  # only the sum comes back
    runner = mrg_steps(fn)[0].runner
    calls = runner.calls
    fn()
    assert runner.calls == calls + 1
    # the state read back after all these calls is the reference's after as many draws
    ref = MRG_RandomStreams(31)
    u_ref = ref.uniform((64, 32), dtype="float32")
    f_ref = tensordsl.function([], u_ref, mode=target_mode("numpy"))
    drawn = 5 + 5 + 1  # fn: 1 + 4 + 1 calls; summed: 1 + 4 calls (same state)
    for _ in range(drawn):
        f_ref()
    same_bits(fn(), f_ref())  # the 12th draw of both
    (ref_state, _, _, _), = ref.state_updates
    same_bits(state.get_value(), ref_state.get_value())


@pytest.mark.parametrize("dtype", DTYPES)
def test_uniform_binomial_normal_built_on_it(dtype):
    def sampled(backend):
        rng = MRG_RandomStreams(2024)
        outs = [rng.uniform((30, 4), low=-2.0, high=3.0, dtype=dtype),
                rng.binomial((50,), p=0.3, dtype="int64"),
                rng.normal((7, 9), avg=0.0, std=2.0, dtype=dtype)]  # see the C test
        fn = tensordsl.function([], outs, mode=target_mode(backend))
        return [fn() for _ in range(3)]

    for (gu, gb, gn), (wu, wb, wn) in zip(sampled("opencl"), sampled("numpy")):
        same_bits(gu, wu)
        same_bits(gb, wb)
        assert gn.dtype == wn.dtype and gn.shape == wn.shape
        assert accuracy.within_ulps(gn, wn, 4 * accuracy.ulp_bound("log")).all()


def test_float16_runs_on_the_host_and_still_equals():
    want, want_state, _ = uniform_draws("numpy", 3, (20,), "float16", None, 2)
    got, got_state, fn = uniform_draws("opencl", 3, (20,), "float16", None, 2)
    for g, w in zip(got, want):
        same_bits(g, w)
    same_bits(got_state, want_state)
    (step,) = mrg_steps(fn)
    assert fn.thunk.notes["where"][fn.thunk.steps.index(step)] == "host"


def test_errors_are_the_references():
    fn = draw_function("opencl", "float32", 1)
    with pytest.raises(ValueError, match="non-negative"):
        fn(np.ones((2, 6), "int32"), np.asarray([-1]))
    with pytest.raises(ValueError, match=r"int32 \(streams, 6\) matrix"):
        fn(np.ones((2, 5), "int32"), np.asarray([3]))
    with pytest.raises(ValueError, match="no stream"):
        fn(np.ones((0, 6), "int32"), np.asarray([3]))
    new, sample = fn(np.ones((0, 6), "int32"), np.asarray([0]))
    assert new.shape == (0, 6) and sample.shape == (0,)


@pytest.mark.parametrize("dtype", DTYPES)
def test_the_program_is_a_fixed_checked_template_listed_in_sources(dtype):
    from tensordsl.backends.opencl import build
    from tensordsl.backends.opencl.mrg import ENTRY, mrg_program
    from tensordsl.backends.registry import get_backend

    text = mrg_program(dtype)
    assert text == mrg_program(dtype) and "#include" not in text
    build.check_source(text)  # pycparserext (the session fixture parses it again)
    _, _, fn = uniform_draws("opencl", 11, (8,), dtype, None, 1)
    sources = get_backend("opencl").sources(fn.maker.fgraph)
    assert [s.text for s in sources if s.entry == ENTRY] == [text]
