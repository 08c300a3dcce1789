"""Timing: warm-up, calibrated inner loops, round-robin interleaved repeats, medians.

All implementations of one case are timed in turn within each round (the order rotates
every round), so a burst of load from other tenants of a shared machine hits them all
alike instead of spoiling one column. Each figure is the median of the rounds.

Libraries in one process disturb each other through their worker threads: OpenBLAS's
workers spin for a while after each call (2**28 cycles, its THREAD_TIMEOUT default),
taking a core from whichever implementation is timed next. Measured on the logistic
regression step: a two-thread OpenMP step timed right after numpy's step ran 1.42-1.55
ms, the same step after a 0.2 s pause 1.10-1.32 ms. A pause of `settle_s` before each
sample lets the previous implementation's workers go idle, so each sample sees the
machine as a program using that library alone would.

The pause has a price of its own: the first call after it wakes the library's sleeping
thread pool and refills cold caches (measured on the mlp512 step in its own process:
5-6 ms after a 0.2 s pause, 2.8-3.1 ms back to back). A training loop calls its step back
to back, so after the pause one untimed call primes the library (calls under PRIME_MAX_S;
longer ones amortise the wake-up themselves), and the inner loop is calibrated on the
fastest of three calls rather than on one that may be such a cold call. Before this, a
step whose single calibration call was slow was timed one call per sample, i.e. as its
cold call: the mlp512 rows showed every library at 2-3x its steady step time.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

MIN_REPEATS = 7
SETTLE_S = 0.2  # pause before each sample of a full run (see above)
LONG_CALL_S = 1.0  # two calls this long (the checked first one and the next) warm up
PRIME_MAX_S = 0.1  # after the settle pause, one untimed call primes calls shorter than this
CALIBRATION_CALLS = 3  # the inner loop is sized on the fastest of these


@dataclass
class Timing:
    """Per-call seconds of the timed rounds of one implementation."""

    samples: list[float] = field(default_factory=list)
    inner: int = 1  # calls per sample (short calls are batched so the clock can see them)
    prime: bool = False  # one untimed call after each settle pause (see the module's doc)
    first_call_s: float = math.nan  # the checked first call, compile included

    @property
    def median(self) -> float:
        """Median seconds per call."""
        return statistics.median(self.samples) if self.samples else math.nan

    @property
    def best(self) -> float:
        """Fastest seconds per call."""
        return min(self.samples) if self.samples else math.nan


def inner_count(seconds_per_call: float, min_sample_s: float, max_inner: int = 200_000) -> int:
    """How many calls one sample needs so that it lasts at least `min_sample_s`."""
    if not seconds_per_call > 0:
        return max_inner
    return max(1, min(max_inner, math.ceil(min_sample_s / seconds_per_call)))


def _sample(fn: Callable[[], object], inner: int) -> float:
    start = time.perf_counter()
    for _ in range(inner):
        fn()
    return (time.perf_counter() - start) / inner


def interleaved(callables: dict[str, Callable[[], object]], repeats: int = MIN_REPEATS,
                min_sample_s: float = 0.02, warmed: dict[str, float] | None = None,
                settle_s: float = 0.0) -> dict[str, Timing]:
    """Warm each callable up once, then time `repeats` interleaved rounds of all of them.

    `warmed` maps names to the seconds of a call already made (the checked first call);
    one of at least LONG_CALL_S counts as the warm-up, so slow calls are not run twice.
    """
    if repeats < 1:
        raise ValueError(f"repeats must be >= 1, got {repeats}")
    warmed = warmed or {}
    timings = {}
    for name, fn in callables.items():  # warm-up, also calibrates the inner loop
        # A long checked first call is often a JIT compile (JAX, numba): one more call
        # tells a slow workload (warmed up, timed a call per sample) from a fast one.
        if warmed.get(name, 0.0) >= LONG_CALL_S and _sample(fn, 1) >= LONG_CALL_S:
            timings[name] = Timing(inner=1)
        else:
            per_call = min(_sample(fn, 1) for _ in range(CALIBRATION_CALLS))
            timings[name] = Timing(inner=inner_count(per_call, min_sample_s),
                                   prime=bool(settle_s) and per_call < PRIME_MAX_S)
    names = list(callables)
    gc_was_enabled = gc.isenabled()
    try:
        for round_no in range(repeats):
            gc.collect()
            gc.disable()  # a collection inside one sample would be charged to one library
            shift = round_no % len(names)
            for name in names[shift:] + names[:shift]:
                if settle_s:
                    time.sleep(settle_s)  # the previous library's spinning workers idle
                if timings[name].prime:
                    callables[name]()  # wakes this library's threads: steady calls timed
                timings[name].samples.append(_sample(callables[name], timings[name].inner))
            if gc_was_enabled:
                gc.enable()
    finally:
        if gc_was_enabled:
            gc.enable()
    return timings
