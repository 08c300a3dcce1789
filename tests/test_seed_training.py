"""The seed's trivial training example prints the seed's numbers under every mode."""

from __future__ import annotations

import io
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from tensordsl.runtime.mode import PREDEFINED

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "seed_training.py"

# The transcript printed in the seed document (its HTML collapsed runs of spaces).
SEED_TRANSCRIPT = """
Weights: [0.1 0.25 0.15 0.3 ]
iteration: 0
Modified Weights: [19.94 20.09 19.99 20.14]
Output: 0.8
iteration: 1
Modified Weights: [23.908 24.058 23.958 24.108]
Output: 80.16000000000001
iteration: 2
Modified Weights: [24.7016 24.8516 24.7516 24.9016]
Output: 96.03200000000001
iteration: 3
Modified Weights: [24.86032 25.01032 24.91032 25.06032]
Output: 99.2064
iteration: 4
Modified Weights: [24.892064 25.042064 24.942064 25.092064]
Output: 99.84128
iteration: 5
Modified Weights: [24.8984128 25.0484128 24.9484128 25.0984128]
Output: 99.968256
iteration: 6
Modified Weights: [24.89968256 25.04968256 24.94968256 25.09968256]
Output: 99.9936512
iteration: 7
Modified Weights: [24.89993651 25.04993651 24.94993651 25.09993651]
Output: 99.99873024
iteration: 8
Modified Weights: [24.8999873 25.0499873 24.9499873 25.0999873]
Output: 99.99974604799999
iteration: 9
Modified Weights: [24.89999746 25.04999746 24.94999746 25.09999746]
Output: 99.99994920960002
"""


def _collapse(text: str) -> list[str]:
    return [" ".join(line.split()) for line in text.strip().splitlines()]


def _numpy_transcript() -> str:
    """The same training loop written directly in numpy (Theano's gradient graph)."""
    out = io.StringIO()
    x = np.ones(4, dtype="float32")
    target = np.float32(100.0)
    w = np.asarray([0.1, 0.25, 0.15, 0.3])
    print("Weights: ", w, file=out)
    for i in range(10):
        y = (x * w).sum()
        grad_w = -((target - y) * 2.0) * x
        w = w - 0.1 * grad_w
        print("iteration: ", i, file=out)
        print("Modified Weights: ", w, file=out)
        print("Output: ", np.asarray(y), file=out)
    return out.getvalue()


def test_numpy_reference_matches_seed() -> None:
    assert _collapse(_numpy_transcript()) == _collapse(SEED_TRANSCRIPT)


@pytest.mark.parametrize("mode", sorted(PREDEFINED))
def test_seed_training_prints_seed_numbers(mode: str) -> None:
    env = dict(os.environ, TENSORDSL_FLAGS=f"mode={mode}",
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True,
                          env=env, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    assert _collapse(done.stdout) == _collapse(SEED_TRANSCRIPT)
    assert _collapse(done.stdout) == _collapse(_numpy_transcript())
