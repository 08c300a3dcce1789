"""Each program in examples/tutorials runs as a script and prints finite costs.

The values themselves are checked against numpy by test_<name>.py through `run()`; this
guards the `python examples/tutorials/<name>.py` entry point (imports resolved from the
script's own directory, `main()` printing).
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys

import pytest

from tests.tutorials import PROGRAMS

# program -> number of lines its main() prints
SCRIPTS = {"logreg": 3, "mlp": 3, "lenet": 2, "dae": 3, "cae": 3, "sda": 7, "rbm": 4,
           "dbn": 4, "rnnslu": 3, "lstm": 3, "rnnrbm": 2, "hmc": 4}
NUMBER = re.compile(r"[-+]?\d+\.\d*(?:[eE][-+]?\d+)?|nan|inf")


def test_every_program_is_listed():
    on_disk = {p.stem for p in PROGRAMS.glob("*.py")} - {"tutorial_data"}
    assert on_disk == set(SCRIPTS)


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_program_runs_as_a_script(name, tmp_path):
    env = dict(os.environ)
    root = str(PROGRAMS.parents[1])
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, str(PROGRAMS / f"{name}.py")], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == SCRIPTS[name], proc.stdout
    values = [float(v) for line in lines for v in NUMBER.findall(line)]
    assert values and all(math.isfinite(v) for v in values), proc.stdout
