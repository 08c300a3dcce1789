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
change of load is noticed: after a call in the better arm, the other is tried once the
time spent since the last try is `EXPLORE_RATIO` times the other arm's own estimate, which
bounds exploration's cost to about 1/EXPLORE_RATIO of the run time. The one-thread arm sets
every OpenBLAS in the process and libgomp's `nthreads-var` (which the kernels read with
`omp_get_max_threads`) to 1 for the call and restores them after it: user code running
numpy between calls keeps its own settings (not so for numpy called from another thread
during a call: the counts are process-wide). `TENSORDSL_ADAPTIVE_THREADS=0` turns it off.
"""

from __future__ import annotations

import ctypes
import functools
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

EXPLORE_RATIO = 32.0  # exploring costs at most ~1/32 (3%) of the time spent in calls
# calls per arm before the estimates are trusted: the default arm's first calls after the
# one-thread arm's are slow while OpenBLAS and libgomp wake their threads (mlp512 step,
# batch 128: 4.3-4.5 ms for the first two, 2.2-2.5 ms from the third on); with two, the
# step stayed on one thread (3.5 ms) until the first exploration, ~40 calls later
WARM_CALLS = 4
# an arm's estimate is the fastest of its last RECENT calls. A running mean was moved by
# single slow calls: the first call after the process slept, when the default arm must
# wake its threads (5-7 ms against 2.5 ms for the mlp512 step), and as exploration tries
# the other arm one call at a time, such outliers kept it looking slow: a training loop
# with pauses between bursts of steps ran on one thread at 4.3-4.9 ms per step instead of
# two at 2.8-3.0 (tools/bench.py mlp512_step). With the minimum, a single fast call shows
# an arm has recovered, and a busy neighbour shows after RECENT slow calls in a row.
RECENT = 3
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
        self.calls = [0, 0]
        self.since_other = 0.0  # seconds spent in the current arm since the other was tried
        self.arm = 0
        self.warmed = False  # the first call (lazy loads, cold caches) is not a sample
        self.small = False  # both arms are below SMALL_S: run plainly, only timed

    def choose(self) -> int:
        """The arm of the next call. The one-thread arm warms up first: on a busy host the
        default arm's first calls can cost ten times one thread's (a 2-thread product
        waiting on a descheduled thread: an LSTM gradient's first call took 3.5 s of CPU
        against 0.4 s), on an idle one one thread costs at most the ~2x it saves later."""
        for arm in (1, 0):
            if self.calls[arm] < WARM_CALLS:
                return arm
        best = 0 if self.estimate[0] <= self.estimate[1] else 1
        if self.since_other >= EXPLORE_RATIO * self.estimate[1 - best]:
            return 1 - best
        return best

    def record(self, arm: int, seconds: float) -> None:
        """Fold one call's time into its arm's estimate."""
        if not self.warmed:
            self.warmed = True
            return
        recent = self.recent[arm]
        recent.append(seconds)
        self.estimate[arm] = min(recent)
        self.calls[arm] += 1
        if min(self.calls) >= WARM_CALLS and max(self.estimate) < SMALL_S:
            self.small = True
        if arm != self.arm:
            self.since_other = 0.0
            self.arm = arm
        else:
            self.since_other += seconds

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
            self.record(arm, time.perf_counter() - start)
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
