"""The benchmark suite's training-loop pieces: GEMM floor column, ÷ floor table, --columns,
the busy neighbour of --contended, and the reference steps the peers are checked against.
Speed is never asserted here."""

import importlib
import os
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
cases = importlib.import_module("benchsuite.cases")
report = importlib.import_module("benchsuite.report")
runner = importlib.import_module("benchsuite.runner")
cli = importlib.import_module("benchsuite.cli")
contention = importlib.import_module("benchsuite.contention")
wl_lstm = importlib.import_module("benchsuite.wl_lstm")
wl_mlp = importlib.import_module("benchsuite.wl_mlp")


def test_floor_column_is_timed_unchecked_and_reported_as_a_ratio():
    impls = {"numpy": lambda i: lambda: i["x"] * 2,
             "jax": lambda i: lambda: i["x"] + i["x"],
             cases.FLOOR_COLUMN: lambda i: lambda: 0.0}  # computes something else
    case = cases.Case("t", "x", lambda: {"x": np.arange(5.0)}, impls)
    result = runner.run_case(case, runner.Limits(), repeats=7, min_sample_s=0.0)
    assert result.cells[cases.FLOOR_COLUMN].status == "ok"
    assert len(result.cells[cases.FLOOR_COLUMN].timing.samples) == 7
    text = "\n".join(report.workload_section("t", [result], [], "doc"))
    assert "÷ floor" in text and "| x | jax |" in text


def test_columns_filter_keeps_numpy_and_limits():
    impls = {"numpy": 1, "jax": 2, "torch": 3, "tensordsl FAST_RUN (c)": 4,
             cases.FLOOR_COLUMN: 5}
    assert cli._filtered(impls, "") == impls
    assert list(cli._filtered(impls, "jax, FAST_RUN")) == [
        "numpy", "jax", "tensordsl FAST_RUN (c)", cases.FLOOR_COLUMN]


def test_busy_neighbour_is_pinned_and_stopped():
    with contention.busy_neighbour() as core:
        children = [int(p) for p in Path(f"/proc/{os.getpid()}/task/{os.getpid()}/children")
                    .read_text().split()]
        assert children
        assert os.sched_getaffinity(children[-1]) == {core}
    assert not Path(f"/proc/{children[-1]}/status").exists() or \
        "zombie" in Path(f"/proc/{children[-1]}/status").read_text()


def test_busy_neighbour_rejects_a_core_it_cannot_use():
    with pytest.raises(ValueError, match="core 4096"):
        with contention.busy_neighbour(4096):
            pass


def _numeric_grad(f, x, eps=1e-3):
    g = np.zeros_like(x, dtype=np.float64)
    flat = x.reshape(-1)
    for k in np.random.default_rng(0).choice(flat.size, min(6, flat.size), replace=False):
        old = flat[k]
        flat[k] = old + eps
        up = float(f())
        flat[k] = old - eps
        down = float(f())
        flat[k] = old
        g.reshape(-1)[k] = (up - down) / (2 * eps)
    return g


def test_lstm_reference_gradient_matches_finite_differences():
    inp = {k: v.astype(np.float64) for k, v in wl_lstm.lstm_inputs(4, 3, 5, 6).items()}
    args = [inp[n] for n in wl_lstm.ARGS]
    loss, dwx, dwh, db = wl_lstm.numpy_bptt(*args)
    hs_mean = lambda: np.mean([wl_lstm.numpy_forward(inp["x"][:t + 1], *args[1:])  # noqa: E731
                               for t in range(4)])
    assert np.isclose(loss, hs_mean(), rtol=1e-6)
    for grad, name in ((dwx, "Wx"), (dwh, "Wh"), (db, "b")):
        numeric = _numeric_grad(lambda: wl_lstm.numpy_bptt(*[inp[n] for n in wl_lstm.ARGS])[0],
                                inp[name])
        mask = numeric != 0
        np.testing.assert_allclose(grad[mask], numeric[mask], rtol=1e-4, atol=1e-7)


def test_mlp_reference_step_matches_finite_differences():
    inp = {k: v.astype(np.float64) for k, v in wl_mlp.mlp_inputs(5, (7, 6, 5, 4)).items()}
    state = [inp[n] for n in wl_mlp.STATE]
    out = wl_mlp.numpy_step(inp["X"], inp["Y"], *state)
    for k, name in enumerate(wl_mlp.STATE):
        analytic = (inp[name] - out[k + 1]) / wl_mlp.LR
        numeric = _numeric_grad(lambda: wl_mlp.numpy_step(inp["X"], inp["Y"],
                                                          *[inp[n] for n in wl_mlp.STATE])[0],
                                inp[name])
        mask = numeric != 0
        np.testing.assert_allclose(analytic[mask], numeric[mask], rtol=1e-4, atol=1e-7)


def test_gemm_floors_run_on_the_workload_inputs():
    assert wl_mlp.gemm_floor(wl_mlp.mlp_inputs(4))() == 0.0
    i = wl_lstm.lstm_inputs(3, 2, 4, 5)
    for bptt in (False, True):
        assert wl_lstm.gemm_floor(i["x"], i["Wx"], i["Wh"], bptt)() == 0.0
