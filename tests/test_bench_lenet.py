"""The lenet_step workload: every column in a process of its own, checked against the
numpy step (speed is never asserted here)."""

import importlib
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
wl_lenet = importlib.import_module("benchsuite.wl_lenet")
lenet_graphs = importlib.import_module("benchsuite.lenet_graphs")


def test_lenet_columns_each_run_in_their_own_process():
    case = wl_lenet.lenet_cases(quick=True)[0]
    assert set(case.impls) == set(wl_lenet.step_impls())
    inputs = case.make_inputs()
    want = lenet_graphs.numpy_step(*(inputs[n] for n in lenet_graphs.DATA),
                                   *(inputs[n] for n in lenet_graphs.PARAMS))
    for column in ("numpy", "tensordsl FAST_RUN (c)"):
        run = case.impls[column](inputs)
        assert "own process" in run.bench_note
        assert run._process.pid is not None and run._process.is_alive()
        got = run()  # the first call brings its value back (the checked call)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_allclose(np.asarray(g), w, rtol=case.rtol, atol=case.atol)
        assert run() is None  # timed calls reply without their values
