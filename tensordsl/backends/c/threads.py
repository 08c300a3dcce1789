"""Thread counts that survive a busy neighbour: each schedule picks, by measuring, between
the libraries' default thread counts and one thread.

OpenBLAS (numpy's, and scipy's, which the compiled scan loop calls) splits a product
statically between its threads, and the C kernels split their ranges the same way; the
call then waits for the slowest thread. When another process is busy on one of the cores,
the thread sharing that core runs a fraction of the time and every product waits for it:
on the 2-core development host with a spin loop pinned to one core, the 784-512-512-10
MLP step took 216 ms with two threads and 20 ms with one (docs/benchmarks.md, "Training
loops"). On an idle host two threads are faster for large products, so neither count is
right everywhere, and the load average says little about the next millisecond.

`adaptive` therefore wraps a schedule's run in `AdaptiveRun`, which times its calls under
both settings ("arms") and uses the faster, re-trying the other arm now and then so a
change of load is noticed. A retry is a short burst of calls in the other arm, started
once the time spent since the last retry is `EXPLORE_RATIO` times the burst's expected
cost, which bounds exploration's cost to about 1/EXPLORE_RATIO of the run time. The
one-thread arm sets every OpenBLAS in the process and libgomp's `nthreads-var` (which the
kernels read with `omp_get_max_threads`) to 1 for the call and restores them after it:
user code running numpy between calls keeps its own settings (not so for numpy called
from another thread during a call: the counts are process-wide).
`TENSORDSL_ADAPTIVE_THREADS=0` turns it off.

An arm's estimate is the mean of its last `RECENT` (7) sampled calls. Two kinds of call
are not samples, because they say nothing about the arm: the first call after a pause (the
thread pools are asleep: the mlp512 step at batch 16 took 3-4 ms for it against 1.0 ms
for the next ones) and the first call after a switch of arm. A mean, neither a minimum
nor a median: with a busy neighbour the two-thread arm's calls are mostly as fast as one
thread's and now and then very slow, when the thread sharing the neighbour's core is
descheduled (mlp512 batch 16: 0.8 ms, and one call in ~18 at 5-70 ms; batch 128: 2.5,
6.5, 6.9, 95 ms); the fastest of three calls, and the median of seven, both chose two
threads there (3-9 ms a call on average against 0.8 ms on one).

A retry measures afresh: the retried arm's estimate is its new samples alone, and a
sample over CHECK_RATIO times the current arm's estimate ends the retry at once. So under
a busy neighbour a retry costs two calls (the switch and one sample, ~50 ms each for the mlp512
step at batch 16 against 0.8 ms on one thread) and the next waits EXPLORE_RATIO times
that; with old samples kept, a fast warm-up's samples had outvoted the slow one and
retries came every ~0.1 s. Arms more than CHECK_RATIO apart after the warm-up are
retried once at once, so a warm-up that met a burst of load is undone.
"""

from __future__ import annotations

import ctypes
import functools
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

EXPLORE_RATIO = 32.0  # exploring costs at most ~1/32 (3%) of the time spent in calls
RECENT = 7  # an arm's estimate: the mean of its last RECENT samples
WARM_CALLS = 3  # samples per arm before the estimates are trusted
BURST = 3  # samples a retry of the other arm takes (after its unsampled first call)
IDLE_S = 0.02  # a call starting this long after the last one ended finds its pools asleep
# arms this far apart after the warm-up get one retry at once: the worse arm's warm-up may
# have met a burst of load (the default arm's calls at 100 ms while the one-thread arm's
# took 3.7 ms), and the next retry would come only after 32 x 100 ms of calls; a retry's
# sample this much slower than the current arm ends the retry
CHECK_RATIO = 4.0
# calls this short in both arms have nothing to split between threads (a kernel goes
# parallel only above ~150 us of work, render.PARALLEL_NS): they skip the arms, whose
# bookkeeping costs ~3 us a call, until one call takes longer
SMALL_S = 100e-6

# the setter and getter names OpenBLAS builds export (plain, scipy's, numpy's 64-bit ints)
_OPENBLAS = (("openblas_set_num_threads", "openblas_get_num_threads"),
             ("scipy_openblas_set_num_threads", "scipy_openblas_get_num_threads"),
             ("scipy_openblas_set_num_threads64_", "scipy_openblas_get_num_threads64_"),
             ("openblas_set_num_threads64_", "openblas_get_num_threads64_"))


def enabled() -> bool:
    """Whether schedules adapt their thread counts (`TENSORDSL_ADAPTIVE_THREADS`, default on)."""
    return os.environ.get("TENSORDSL_ADAPTIVE_THREADS", "1").strip() not in ("0", "false", "")


def _loaded_libraries(word: str) -> list[str]:
    """Paths of the shared libraries mapped into this process whose name contains `word`."""
    try:
        with open("/proc/self/maps") as maps:
            found = {line.split()[-1] for line in maps if word in line and "/" in line}
    except OSError:  # not Linux: no knobs, the default arm only
        return []
    return sorted(p for p in found if ".so" in os.path.basename(p))


class Knobs:
    """The thread-count setters of the libraries loaded in this process."""

    def __init__(self) -> None:
        self.pairs: list[tuple[Any, Any]] = []  # (set, get) ctypes functions
        for path in _loaded_libraries("openblas"):
            lib = ctypes.CDLL(path)
            for set_name, get_name in _OPENBLAS:
                if hasattr(lib, set_name) and hasattr(lib, get_name):
                    self.pairs.append((getattr(lib, set_name), getattr(lib, get_name)))
                    break
        for path in _loaded_libraries("libgomp"):
            lib = ctypes.CDLL(path)
            self.pairs.append((lib.omp_set_num_threads, lib.omp_get_max_threads))
            break

    def single(self) -> list[int]:
        """Set every library to one thread; the previous counts (for `restore`)."""
        before = [get() for _, get in self.pairs]
        for (set_, _), count in zip(self.pairs, before):
            if count != 1:
                set_(1)
        return before

    def restore(self, before: list[int]) -> None:
        """Put back the counts `single` returned."""
        for (set_, _), count in zip(self.pairs, before):
            if count != 1:
                set_(count)


@functools.cache
def knobs() -> Knobs:
    """The process's knobs, found once (after the first schedule loaded its kernels)."""
    return Knobs()


_inside = threading.local()  # a schedule run from inside another (an inner function)


class AdaptiveRun:
    """A schedule's run that times itself under the default and the one-thread arm."""

    def __init__(self, run: Callable[[list[Any]], list[Any]]) -> None:
        self.inner = run
        self.estimate = [0.0, 0.0]  # seconds per call: default arm, one-thread arm
        self.recent: list[deque[float]] = [deque(maxlen=RECENT), deque(maxlen=RECENT)]
        self.calls = [0, 0]  # samples taken per arm
        self.since_other = 0.0  # seconds spent in the current arm since the last switch
        self.arm = 1
        self.retry_left = 0  # samples the running retry of the other arm still takes
        self.retried = False  # a retry has run (the warm-up's estimates were checked)
        self.last_end = None  # when the previous call ended (None: no call yet)
        self.skipped_idle = False  # the previous call was not a sample: it came after a pause
        self.small = False  # both arms are below SMALL_S: run plainly, only timed

    def best(self) -> int:
        """The arm with the lower estimate (the default arm on a tie)."""
        return 0 if self.estimate[0] <= self.estimate[1] else 1

    def choose(self) -> int:
        """The arm of the next call. The one-thread arm warms up first: on a busy host the
        default arm's first calls can cost ten times one thread's (a 2-thread product
        waiting on a descheduled thread: an LSTM gradient's first call took 3.5 s of CPU
        against 0.4 s), on an idle one one thread costs at most the ~2x it saves later."""
        for arm in (1, 0):
            if self.calls[arm] < WARM_CALLS:
                return arm
        if self.retry_left:
            return self.arm
        best = self.best()
        if self.arm == best and (self.since_other >= self.retry_wait(best)
                                 or self.check_due(best)):
            # a retry measures afresh: the arm's estimate is its new samples alone (a
            # single slow one, ending the retry, must not be outvoted by old fast ones)
            self.retry_left, self.retried = BURST, True
            self.recent[1 - best].clear()
            return 1 - best
        return best

    def retry_wait(self, best: int) -> float:
        """Seconds to spend in the `best` arm before retrying the other: EXPLORE_RATIO
        times the retry's expected cost."""
        return EXPLORE_RATIO * (BURST + 1) * self.estimate[1 - best]

    def check_due(self, best: int) -> bool:
        """Whether the other arm's warm-up estimate is so far off that it is retried at
        once (once per run, before any other retry)."""
        return not self.retried and self.estimate[1 - best] > CHECK_RATIO * self.estimate[best]

    def record(self, arm: int, start: float, seconds: float) -> None:
        """Fold one call's time into its arm's estimate, unless it was the first call after
        a switch or a pause. After a pause, one call is skipped, the next counts even when
        it too comes after a pause: a caller who always pauses has only such calls."""
        idle = self.last_end is not None and start - self.last_end > IDLE_S
        switched = arm != self.arm or self.last_end is None
        self.last_end = start + seconds
        if switched:
            self.arm, self.since_other = arm, 0.0
        self.since_other += seconds
        if switched or (idle and not self.skipped_idle):
            self.skipped_idle = idle
            return
        self.skipped_idle = False
        recent = self.recent[arm]
        recent.append(seconds)
        self.estimate[arm] = math.fsum(recent) / len(recent)
        self.calls[arm] += 1
        if self.retry_left:
            # a sample over CHECK_RATIO times the other arm's estimate ends the retry at
            # once: a clearly worse arm needs no more calls to show it (a milder outlier,
            # a woken pool's 6 ms against 1 ms, is outvoted by the burst's other samples)
            clearly_worse = seconds > CHECK_RATIO * self.estimate[1 - arm]
            self.retry_left = 0 if clearly_worse else self.retry_left - 1
        if min(self.calls) >= WARM_CALLS and max(self.estimate) < SMALL_S:
            self.small = True

    def __call__(self, values: list[Any]) -> list[Any]:
        if self.small:  # default counts; a long call brings the arms back
            start = time.perf_counter()
            out = self.inner(values)
            if time.perf_counter() - start > SMALL_S:
                self.small = False
            return out
        if getattr(_inside, "active", False):
            return self.inner(values)
        arm = self.choose()
        controls = knobs()
        before = controls.single() if arm else None
        _inside.active = True
        start = time.perf_counter()
        try:
            return self.inner(values)
        finally:
            self.record(arm, start, time.perf_counter() - start)
            _inside.active = False
            if before is not None:
                controls.restore(before)


def adaptive(schedule: Any) -> Any:
    """`schedule` with its run wrapped in AdaptiveRun when it has more than one step (a
    single kernel or product has nothing to trade between threads and a call's overhead),
    unless turned off by the environment."""
    if enabled() and len(schedule.steps) > 1:
        schedule.run = AdaptiveRun(schedule.run)
    return schedule
