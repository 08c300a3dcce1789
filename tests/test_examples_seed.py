"""The seed's programs (examples/) print what the seed document shows, digit for digit.

The expected texts are copied verbatim from the seed (theano-quick-guide.txt). Its HTML
collapsed runs of spaces (numpy pads columns), so both sides are compared with runs of
whitespace collapsed to one space. One known typo is fixed: the seed prints 25 for the
matrix product entry 4*3 + 11*1 + 2*6 = 35 (its own formula says 35).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

SEED_SCALAR_ADDITION = "4.0"  # "Testing the Installation"
SEED_FULL_PROGRAM = "9.0"  # "Execute the above code and you will see the output as 9.0"
SEED_MATRIX_PRODUCT = """[[11. 0.]
[25. 20.]]"""
SEED_SHARED = """Original: [0.1 0.25 0.15 0.3 ]
Setting new values (0.5, 0.2, 0.4, 0.2)
After modifications: [0.5 0.2 0.4 0.2]"""

EXPECTED = {
    "scalar_addition.py": SEED_SCALAR_ADDITION + "\n" + SEED_FULL_PROGRAM,
    # the seed's typo: 25 -> 35
    "matrix_product.py": SEED_MATRIX_PRODUCT.replace("[25.", "[35."),
    "shared_variables.py": SEED_SHARED,
}


def collapse(text: str) -> str:
    return " ".join(text.split())


def run_example(name: str) -> str:
    env = dict(os.environ)
    env.pop("TENSORDSL_FLAGS", None)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    result = subprocess.run([sys.executable, str(ROOT / "examples" / name)], env=env,
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return result.stdout


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_prints_the_seed_output(name):
    assert collapse(run_example(name)) == collapse(EXPECTED[name])


def test_matrix_product_prints_numpys_layout_exactly():
    """Beyond the collapsed comparison: the exact numpy printout, 35 included."""
    assert run_example("matrix_product.py") == "[[11.  0.]\n [35. 20.]]\n"


def test_shared_example_lines():
    lines = run_example("shared_variables.py").splitlines()
    assert lines == ["Original:  [0.1  0.25 0.15 0.3 ]",
                     "Setting new values (0.5, 0.2, 0.4, 0.2)",
                     "After modifications: [0.5 0.2 0.4 0.2]"]


def test_examples_use_the_seed_imports():
    for name in EXPECTED:
        source = (ROOT / "examples" / name).read_text()
        assert "import tensordsl as theano" in source
