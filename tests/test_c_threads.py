"""The C backend's adaptive thread counts (tensordsl/backends/c/threads.py)."""

from __future__ import annotations

import numpy as np
import pytest

import tensordsl
from tensordsl import tensor as T
from tensordsl.backends.c import threads
from tensordsl.runtime.mode import get_mode


class FakeKnobs:
    """Records the thread state the way the real knobs would set it."""

    def __init__(self) -> None:
        self.state = 2
        self.pairs = [None]

    def single(self) -> list[int]:
        before = [self.state]
        self.state = 1
        return before

    def restore(self, before: list[int]) -> None:
        self.state = before[0]


def _drive(monkeypatch: pytest.MonkeyPatch, cost: dict[int, float], calls: int) -> list[int]:
    """Run an AdaptiveRun whose call costs `cost[thread state]` seconds (a fake clock);
    the thread state seen by each call."""
    fake = FakeKnobs()
    monkeypatch.setattr(threads, "knobs", lambda: fake)
    clock = [0.0]
    monkeypatch.setattr(threads.time, "perf_counter", lambda: clock[0])
    seen: list[int] = []

    def inner(values: list) -> list:
        seen.append(fake.state)
        clock[0] += cost[fake.state]
        return values

    run = threads.AdaptiveRun(inner)
    for k in range(calls):
        assert run([k]) == [k]
        assert fake.state == 2  # restored after every call
    return seen


@pytest.mark.parametrize("fast", [1, 2])
def test_adaptive_run_settles_on_the_faster_arm(monkeypatch: pytest.MonkeyPatch,
                                                fast: int) -> None:
    cost = {fast: 0.001, 3 - fast: 0.010}
    seen = _drive(monkeypatch, cost, 2000)
    later = seen[100:]
    slow_share = later.count(3 - fast) / len(later)
    # exploration costs at most ~1/EXPLORE_RATIO of the time: far fewer slow calls
    assert slow_share * cost[3 - fast] <= 2.0 / threads.EXPLORE_RATIO * cost[fast] + 1e-12
    assert later.count(fast) > 0.95 * len(later)


def test_adaptive_run_notices_a_change_of_load(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeKnobs()
    monkeypatch.setattr(threads, "knobs", lambda: fake)
    clock = [0.0]
    monkeypatch.setattr(threads.time, "perf_counter", lambda: clock[0])
    cost = {2: 0.001, 1: 0.002}  # idle host: two threads win

    def inner(values: list) -> list:
        clock[0] += cost[fake.state]
        return values

    run = threads.AdaptiveRun(inner)
    for _ in range(500):
        run([])
    assert run.choose() == 0
    cost[2] = 0.050  # a busy neighbour: the two-thread arm now waits on a descheduled thread
    for _ in range(2000):
        run([])
    assert run.choose() == 1


class FakeHost:
    """A fake clock and thread knobs; `cost(state, k)` gives the k-th call's seconds in
    a thread state, `gap(k)` the pause before it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, cost, gap=lambda k: 0.0) -> None:
        self.knobs = FakeKnobs()
        monkeypatch.setattr(threads, "knobs", lambda: self.knobs)
        self.clock = 0.0
        monkeypatch.setattr(threads.time, "perf_counter", lambda: self.clock)
        self.cost, self.gap, self.seen = cost, gap, []
        self.run = threads.AdaptiveRun(self.inner)

    def inner(self, values: list) -> list:
        self.clock += self.cost(self.knobs.state, len(self.seen))
        self.seen.append(self.knobs.state)
        return values

    def calls(self, n: int) -> list[int]:
        """Make n calls; the thread states they ran in."""
        start = len(self.seen)
        for _ in range(n):
            self.clock += self.gap(len(self.seen))
            self.run([])
        return self.seen[start:]


def test_a_slow_call_after_a_pause_does_not_move_the_estimate(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Bursts of three calls after a 0.2 s pause: the default arm's first call of each
    burst wakes its sleeping threads (6 ms), the others take 1 ms; one thread always 2 ms.
    The woken call is not a sample, so the default arm stays chosen (a mean over all
    calls, 2.7 ms, would pick one thread)."""
    host = FakeHost(monkeypatch,
                    lambda state, k: 0.002 if state == 1 else (0.006 if k % 3 == 0 else 0.001),
                    gap=lambda k: 0.2 if k % 3 == 0 else 0.0)
    later = host.calls(600)[150:]
    assert later.count(2) > 0.9 * len(later)


def test_rare_long_waits_of_two_threads_count(monkeypatch: pytest.MonkeyPatch) -> None:
    """A busy neighbour, mlp512 batch 16 as measured: the two-thread arm's calls take
    0.8 ms, but one in 18 waits 60 ms on the descheduled thread (4.1 ms on average); one
    thread 0.85 ms. A median of the calls would see 0.8 ms and keep two threads."""
    host = FakeHost(monkeypatch,
                    lambda state, k: 0.00085 if state == 1 else (0.06 if k % 18 == 9 else 0.0008))
    later = host.calls(4000)[500:]
    assert later.count(1) > 0.95 * len(later)


def test_a_busy_neighbour_with_lucky_fast_calls_keeps_one_thread(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """With a neighbour busy on one core, the two-thread arm's calls are sometimes fast
    (the woken thread preempts the neighbour) and mostly slow: the mlp512 step's measured
    2.5, 6.5, 6.9 ms against one thread's 3.7. The median sees the slow majority; a
    minimum would take the lucky call for the arm's speed."""
    pattern = (0.0025, 0.0065, 0.0069, 0.0068, 0.0066)
    host = FakeHost(monkeypatch, lambda state, k: 0.0037 if state == 1 else pattern[k % 5])
    later = host.calls(3000)[500:]
    assert later.count(1) > 0.9 * len(later)


def test_a_load_burst_during_warm_up_is_outlived(monkeypatch: pytest.MonkeyPatch) -> None:
    """The default arm's warm-up calls take 100 ms (another process was busy then), later
    calls 2.4 ms against one thread's 3.7: arms that far apart are retried at once (the
    stale 100 ms estimate alone would wait 32 x 100 ms of one-thread calls)."""
    host = FakeHost(monkeypatch,
                    lambda state, k: 0.0037 if state == 1 else (0.1 if k < 8 else 0.0024))
    host.calls(30)  # the warm-up's calls are k = 0..7; the arms are 27x apart: checked
    assert host.run.choose() == 0
    later = host.calls(1000)
    assert later.count(2) > 0.9 * len(later)


def test_a_busy_neighbour_after_a_lucky_warm_up_costs_few_slow_calls(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The two-thread arm's warm-up calls were lucky (0.9 ms), later ones wait on the
    descheduled thread (50 ms) against one thread's 0.8 ms: the first retry's one slow
    sample ends it and sets the arm's estimate alone, so the next retry waits 32 x its
    cost; 3000 calls (~2.5 s) see the two-thread arm only in that retry."""
    host = FakeHost(monkeypatch,
                    lambda state, k: 0.0008 if state == 1 else (0.0009 if k < 8 else 0.05))
    host.calls(8)  # the warm-up
    later = host.calls(3000)
    assert later.count(2) <= 2  # the switch call and one sample
    assert host.run.choose() == 1


def test_the_first_call_after_a_pause_is_not_a_sample(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bench's pattern: 0.2 s pause, then ten calls. After the pause the default arm's
    first call wakes its pools (4 ms), the rest take 1 ms; one thread always 1.5 ms."""
    host = FakeHost(monkeypatch,
                    lambda state, k: 0.0015 if state == 1 else (0.004 if k % 10 == 0 else 0.001),
                    gap=lambda k: 0.2 if k % 10 == 0 else 0.0)
    later = host.calls(2000)[500:]
    assert later.count(2) > 0.9 * len(later)


def test_a_caller_who_always_pauses_is_still_measured(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every call comes 50 ms after the last: every call is a cold one, and those are the
    calls to choose by (two threads waking 3 ms, one thread 2 ms)."""
    host = FakeHost(monkeypatch, lambda state, k: 0.002 if state == 1 else 0.003,
                    gap=lambda k: 0.05)
    later = host.calls(600)[100:]
    assert later.count(1) > 0.9 * len(later)


def test_the_one_thread_arm_warms_up_first(monkeypatch: pytest.MonkeyPatch) -> None:
    # the first call (not a sample) and the one-thread arm's warm-up run single-threaded,
    # then the default arm's: a busy host never pays two threads' worst case first
    # (the first call of each arm is not a sample: it pays for the switch)
    seen = _drive(monkeypatch, {1: 0.002, 2: 0.001}, 2 + 2 * threads.WARM_CALLS)
    assert seen == [1] * (1 + threads.WARM_CALLS) + [2] * (1 + threads.WARM_CALLS)


def test_short_calls_skip_the_arms_until_a_long_one(monkeypatch: pytest.MonkeyPatch) -> None:
    cost = {2: 10e-6, 1: 12e-6}
    fake = FakeKnobs()
    monkeypatch.setattr(threads, "knobs", lambda: fake)
    clock = [0.0]
    monkeypatch.setattr(threads.time, "perf_counter", lambda: clock[0])
    seen: list[int] = []

    def inner(values: list) -> list:
        seen.append(fake.state)
        clock[0] += cost[fake.state]
        return values

    run = threads.AdaptiveRun(inner)
    for _ in range(2 + 2 * threads.WARM_CALLS):
        run([])
    assert run.small
    seen.clear()
    for _ in range(50):
        run([])
    assert seen == [2] * 50  # default counts, no arm switching
    cost[2] = 5e-3  # large inputs now: the arms are back
    run([])
    assert not run.small
    for _ in range(200):
        run([])
    assert 1 in seen


def test_adaptive_run_restores_counts_when_the_call_raises(
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeKnobs()
    monkeypatch.setattr(threads, "knobs", lambda: fake)

    def inner(values: list) -> list:
        raise ValueError("boom")

    run = threads.AdaptiveRun(inner)
    for _ in range(4):  # both arms
        with pytest.raises(ValueError, match="boom"):
            run([])
        assert fake.state == 2
        assert not getattr(threads._inside, "active", False)


def test_real_knobs_single_and_restore() -> None:
    np.ones((64, 64)) @ np.ones((64, 64))  # numpy's BLAS is loaded
    knobs = threads.Knobs()
    before = [get() for _, get in knobs.pairs]
    saved = knobs.single()
    assert saved == before
    assert all(get() == 1 for _, get in knobs.pairs)
    knobs.restore(saved)
    assert [get() for _, get in knobs.pairs] == before


def _mlp_function() -> tuple[tensordsl.Function, list[np.ndarray], tuple]:
    rng = np.random.default_rng(3)
    x, w = T.matrix("x", "float32"), T.matrix("w", "float32")
    b = T.vector("b", "float32")
    h = T.maximum(T.dot(x, w) + b, 0)
    out = T.sum(T.dot(h, w.T), axis=1)
    fn = tensordsl.function([x, w, b], out, mode="FAST_RUN")
    args = [rng.standard_normal((37, 50)).astype("float32"),
            rng.standard_normal((50, 50)).astype("float32"),
            rng.standard_normal(50).astype("float32")]
    hx = np.maximum(args[0] @ args[1] + args[2], 0)
    return fn, args, (hx @ args[1].T).sum(axis=1)


def test_compiled_function_adapts_and_keeps_values() -> None:
    from tensordsl.runtime.mode import backend_name

    if backend_name(get_mode("FAST_RUN")) != "c":
        pytest.skip("FAST_RUN does not use the C backend here")
    fn, args, expected = _mlp_function()
    run = fn._run
    assert isinstance(run, threads.AdaptiveRun)
    knobs = threads.knobs()
    before = [get() for _, get in knobs.pairs]
    for _ in range(2 * threads.WARM_CALLS + 4):  # both arms run
        np.testing.assert_allclose(fn(*args), expected, rtol=1e-4, atol=1e-4)
        assert [get() for _, get in knobs.pairs] == before
    assert min(run.calls) >= threads.WARM_CALLS


def test_environment_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    from tensordsl.runtime.mode import backend_name

    if backend_name(get_mode("FAST_RUN")) != "c":
        pytest.skip("FAST_RUN does not use the C backend here")
    monkeypatch.setenv("TENSORDSL_ADAPTIVE_THREADS", "0")
    fn, args, expected = _mlp_function()
    assert not isinstance(fn._run, threads.AdaptiveRun)
    np.testing.assert_allclose(fn(*args), expected, rtol=1e-4, atol=1e-4)
