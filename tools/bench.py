"""Benchmark tensordsl against numpy, numexpr, numba, PyTensor, JAX and PyTorch, and the machine.

    python tools/bench.py [--quick] [--only NAME[,NAME]] [--out FILE]

The suite lives in tools/benchsuite/ (see its __init__ for the module map).
"""

import os
import sys
from pathlib import Path

# libgomp reads its wait policy once, when the first library using it loads; peers
# (numba's omp layer) may load it before tensordsl can choose. Spinning OpenMP workers
# starve the BLAS threads on 2 cores, so set tensordsl's default (see
# tensordsl/backends/c/__init__.py) for the whole run; the report lists it.
# Columns in a process of their own (isolated.py) get the library's own default back.
if "OMP_WAIT_POLICY" not in os.environ:
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    os.environ["TENSORDSL_BENCH_SET_OMP_WAIT_POLICY"] = "1"

TOOLS = Path(__file__).resolve().parent
for path in (TOOLS.parent, TOOLS):  # the repository (tensordsl) and tools/ (benchsuite)
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from benchsuite.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
