"""Every tutorial example in examples/ runs, and its printed numbers match numpy.

Each example runs in a subprocess with a temporary working directory. Its output lines
`label = value` are parsed (a value may continue on following indented lines, as numpy
prints matrices) and compared with the same computation done here with numpy.
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|nan|inf)"
                    r"|True|False")
LABEL = re.compile(r"^(\S.*?) = (.*)$")


def run_example(name: str, cwd: Path) -> str:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    proc = subprocess.run([sys.executable, str(EXAMPLES / name)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"{name} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def numbers(text: str) -> np.ndarray:
    values = [1.0 if t == "True" else 0.0 if t == "False" else float(t)
              for t in NUMBER.findall(text)]
    return np.array(values)


def parse(stdout: str) -> list[tuple[str, np.ndarray]]:
    """[(label, numbers)] for each `label = value` line (plus its continuation lines)."""
    items: list[tuple[str, str]] = []
    current = None
    for line in stdout.splitlines():
        match = LABEL.match(line)
        if match:
            current = [match.group(1), match.group(2)]
            items.append(current)
        elif current is not None and line.startswith((" ", "[")):
            current[1] += " " + line
        else:
            current = None
    return [(label, numbers(text)) for label, text in items]


def check(stdout: str, expected: list[tuple[str, object]], rtol: float = 1e-7) -> None:
    """Labels in order; values equal to printed precision (numpy prints 8 decimals)."""
    got = parse(stdout)
    assert [label for label, _ in got] == [label for label, _ in expected], stdout
    for (label, value), (_, want) in zip(got, expected):
        want = np.asarray(want, dtype=float).ravel()
        assert value.shape == want.shape, f"{label}: printed {value}, expected {want}"
        np.testing.assert_allclose(value, want, rtol=rtol, atol=1e-8, err_msg=label)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("name, picture", [
    ("pydotprint_scalar_addition.py", "scalar_addition.png"),
    ("pydotprint_matrix_product.py", "matrix_dot_product.png"),
])
def test_seed_pydotprint_programs(tmp_path, name, picture):
    out = run_example(name, tmp_path)
    assert picture in out
    width, height = png_size(tmp_path / picture)
    assert width > 0 and height > 0


def sigmoid(x):
    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))


def test_logistic_function(tmp_path):
    m = np.array([[0, 1], [-1, -2]], dtype=float)
    check(run_example("logistic_function.py", tmp_path),
          [("logistic", sigmoid(m)), ("logistic2", (1 + np.tanh(m / 2)) / 2)])


def test_multiple_outputs(tmp_path):
    a = np.array([[1, 1], [1, 1]], dtype=float)
    b = np.array([[0, 1], [2, 3]], dtype=float)
    d = a - b
    check(run_example("multiple_outputs.py", tmp_path),
          [("diff", d), ("abs_diff", np.abs(d)), ("diff_squared", d ** 2)])


def test_default_arguments(tmp_path):
    def z(x, y=1.0, w=2.0):
        return (np.float64(x) + y) * w

    check(run_example("default_arguments.py", tmp_path), [
        ("f(33)", np.float64(33) + 1), ("f(33, 2)", np.float64(33) + 2),
        ("f(33)", z(33)), ("f(33, 2)", z(33, 2)), ("f(33, 0, 1)", z(33, 0, 1)),
        ("f(33, w_by_name=1)", z(33, w=1)), ("f(33, w_by_name=1, y=0)", z(33, 0, 1)),
    ])


def test_shared_accumulator(tmp_path):
    expected: list[tuple[str, object]] = []
    state = np.int64(0)
    expected.append(("state", state))
    for inc in (1, 300):
        expected.append((f"accumulator({inc})", state))  # the output is the old value
        state = state + inc
        expected.append(("state", state))
    state = np.int64(-1)
    expected.append(("accumulator(3)", state))
    state = state + 3
    expected.append(("state", state))
    expected.append(("decrementor(2)", state))
    state = state - 2
    expected.append(("state", state))
    expected.append(("skip_shared(1, 3)", 3 * 2 + 1))  # givens: state := 3
    expected.append(("state", state))
    check(run_example("shared_accumulator.py", tmp_path), expected)


def test_gradients(tmp_path):
    m = np.array([[0, 1], [-1, -2]], dtype=float)
    check(run_example("gradients.py", tmp_path), [
        ("f(4)", 2 * 4.0), ("f(94.2)", 2 * 94.2),
        ("dlogistic", sigmoid(m) * (1 - sigmoid(m))),
    ])


def test_jacobian_hessian(tmp_path):
    x = np.array([4.0, 4.0])
    jac = np.diag(2 * x)  # d(x**2)/dx
    hess = 2 * np.eye(2)  # d2(sum x**2)/dx2
    check(run_example("jacobian_hessian.py", tmp_path),
          [("J", jac), ("jacobian", jac), ("H", hess), ("hessian", hess)])


def test_scan_polynomial(tmp_path):
    coefficients = np.array([1, 0, 2], dtype=np.float32)
    value = np.polynomial.polynomial.polyval(3.0, coefficients.astype(float))
    check(run_example("scan_polynomial.py", tmp_path),
          [("polynomial", value), ("expected", value)])


def numpy_logistic_regression(steps: int = 200) -> list[tuple[str, object]]:
    """The example's training, by hand: same data, same updates, analytic gradients."""
    rng = np.random.RandomState(42)
    n, feats = 400, 784
    data_x, data_y = rng.randn(n, feats), rng.randint(size=n, low=0, high=2)
    w, b = rng.randn(feats) * 0.01, 0.0
    expected: list[tuple[str, object]] = [("initial_b", b), ("initial_w_head", w[:4])]
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(data_x @ w) - b))
        xent = -data_y * np.log(p) - (1 - data_y) * np.log(1 - p)
        grad_z = (p - data_y) / n  # d mean(xent) / d (x.w + b)
        w, b = w - 0.1 * (data_x.T @ grad_z + 0.02 * w), b - 0.1 * grad_z.sum()
    prediction = 1 / (1 + np.exp(-(data_x @ w) - b)) > 0.5
    expected += [("final_mean_xent", xent.mean()), ("final_b", b), ("final_w_head", w[:4]),
                 ("final_w_norm", np.linalg.norm(w)), ("target_head", data_y[:10]),
                 ("prediction_head", prediction[:10]),
                 ("accuracy", (prediction == data_y).mean())]
    return expected


def test_logistic_regression(tmp_path):
    check(run_example("logistic_regression.py", tmp_path), numpy_logistic_regression(),
          rtol=1e-6)


def test_every_tutorial_example_is_checked():
    tested = {"pydotprint_scalar_addition.py", "pydotprint_matrix_product.py",
              "logistic_function.py", "multiple_outputs.py", "default_arguments.py",
              "shared_accumulator.py", "gradients.py", "jacobian_hessian.py",
              "scan_polynomial.py", "logistic_regression.py"}
    assert tested <= {p.name for p in EXAMPLES.glob("*.py")}
