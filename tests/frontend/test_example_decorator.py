"""examples/decorator_black_scholes.py runs and its printed numbers agree with numpy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def test_decorator_example_prints_accurate_prices_and_deltas(tmp_path: Path) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "decorator_black_scholes.py")],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
                         check=True).stdout
    errors = re.findall(r"target '(\w+)': .* max \|error\| (\S+), dtype (\w+)", out)
    assert {t for t, _, _ in errors} == {"numpy", "c"}, out
    for _, err, dtype in errors:
        assert float(err) < 1e-10 and dtype == "float64", out

    # delta = d(sum of call prices)/dS, by central differences of the plain numpy function
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        from decorator_black_scholes import black_scholes
    finally:
        sys.path.pop(0)
    rng = np.random.default_rng(0)
    n = 200_000
    S, K, T = rng.uniform(5.0, 30.0, n), rng.uniform(1.0, 100.0, n), rng.uniform(0.25, 10.0, n)
    sigma = rng.uniform(0.1, 0.5, n)
    h = 1e-6
    want = (black_scholes(S[:3] + h, K[:3], T[:3], 0.02, sigma[:3])[0]
            - black_scholes(S[:3] - h, K[:3], T[:3], 0.02, sigma[:3])[0]) / (2 * h)
    printed = re.search(r"delta of the first 3 calls: \[([^\]]*)\]", out)
    assert printed, out
    got = np.array(printed.group(1).split(), dtype=float)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
