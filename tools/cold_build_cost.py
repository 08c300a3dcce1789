"""Cold build cost of one train_compile graph: wall seconds, gcc CPU seconds, compiler runs.

    python tools/cold_build_cost.py ROOT GRAPH [--repeats N]

Runs `tensordsl.function` of GRAPH (a name of `tools/benchsuite/train_compile.py`, e.g.
"mlp512_step batch 128") with the tensordsl checkout at ROOT (so that two commits can be
compared, interleaved, from one script) in fresh processes, each with an empty cache
directory. gcc's CPU seconds (the children's rusage) do not depend on how loaded the host
is, unlike the wall time the train_compile table reports: the figure to compare two
build strategies on a busy machine.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time


def child(root: str, graph: str) -> dict[str, float]:
    """In the fresh process: build GRAPH's function (no call), report the costs."""
    import importlib

    sys.path[:0] = [root, os.path.join(root, "tools")]
    from benchsuite import train_compile

    import tensordsl.backends.c  # noqa: F401  (imports excluded from the figure)
    from tensordsl.backends.c import cache

    module, table, make = train_compile._graphs(False)[graph]
    factories = getattr(importlib.import_module(module), table)()
    kind = next(k for k in factories if k.startswith("tensordsl FAST_RUN ("))
    inputs = make()
    start = time.perf_counter()
    factories[kind](inputs)
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"build_s": wall, "gcc_cpu_s": usage.ru_utime + usage.ru_stime,
            "compiler_runs": cache.BUILDS["count"]}


def measure(root: str, graph: str) -> dict[str, float]:
    """One fresh process with an empty cache directory."""
    with tempfile.TemporaryDirectory(prefix="td-cold-") as folder:
        env = dict(os.environ, TENSORDSL_FLAGS=f"compiledir={folder}")
        out = subprocess.run([sys.executable, __file__, "--child", root, graph], env=env,
                             capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


if __name__ == "__main__":
    if sys.argv[1] == "--child":
        print(json.dumps(child(sys.argv[2], sys.argv[3])))
    else:
        repeats = int(sys.argv[sys.argv.index("--repeats") + 1]) if "--repeats" in sys.argv \
            else 1
        for _ in range(repeats):
            r = measure(os.path.abspath(sys.argv[1]), sys.argv[2])
            print(f"{sys.argv[2]}: build {r['build_s']:.2f} s, gcc cpu {r['gcc_cpu_s']:.2f} s, "
                  f"{r['compiler_runs']} compiler runs; loadavg {os.getloadavg()[0]:.1f}")
