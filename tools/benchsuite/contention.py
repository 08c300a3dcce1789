"""A busy neighbour for `--contended` runs: a spinning process pinned to one core.

Issue 15 measured the MLP step at 224 ms (quiet: 3.3 ms) with another process busy on one
of the two cores: OpenMP and OpenBLAS threads waited on a partner the scheduler had
descheduled. `busy_neighbour` reproduces that on purpose, for the duration of the
measured workloads, so the suite reports how each library degrades.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator

SPIN = "while True:\n    pass\n"  # a pure CPU spin: no memory traffic, no syscalls


def neighbour_core() -> int:
    """The core the busy process is pinned to: the last one this process may use."""
    return max(os.sched_getaffinity(0))


@contextlib.contextmanager
def busy_neighbour(core: int | None = None) -> Iterator[int]:
    """Run a Python spin loop pinned to `core` (default `neighbour_core()`) while inside.

    Yields the core. The process is started here and terminated (by its own pid) on exit,
    even when the body raises."""
    core = neighbour_core() if core is None else core
    if core not in os.sched_getaffinity(0):
        raise ValueError(f"busy_neighbour: core {core} is not one this process may use "
                         f"({sorted(os.sched_getaffinity(0))})")
    proc = subprocess.Popen([sys.executable, "-c", SPIN])
    try:
        os.sched_setaffinity(proc.pid, {core})
        yield core
    finally:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
