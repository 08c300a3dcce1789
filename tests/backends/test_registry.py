"""The backend registry: names, availability, target resolution, kernel sources."""

from __future__ import annotations

import numpy as np
import pytest

import tensordsl
from tensordsl import tensor as T
from tensordsl.backends.registry import (
    KernelSource,
    backend_names,
    check_available,
    get_backend,
    resolve,
)
from tensordsl.config import config
from tensordsl.errors import CompileError
from tensordsl.graph.schedule import Schedule
from tensordsl.runtime.mode import backend_name, get_mode, target_mode


def test_names_and_unknown_backend():
    assert {"numpy", "c", "opencl"} <= set(backend_names())
    with pytest.raises(ValueError, match="unknown backend 'cuda'; known: numpy, c, opencl"):
        get_backend("cuda")
    with pytest.raises(ValueError, match="unknown target 'gpu'"):
        resolve("gpu")


def test_device_flag_resolves_the_fast_run_backend():
    assert resolve(None, device="cpu") == "c"
    assert resolve(None, device="opencl") == "opencl"
    assert resolve(None, device="opencl:0:1") == "opencl"
    with config.change_flags(device="cpu"):
        assert backend_name(get_mode("FAST_RUN")) == "c"
    with config.change_flags(device="opencl:0:0"):
        assert backend_name(get_mode("FAST_RUN")) == "opencl"
    assert backend_name(get_mode("FAST_COMPILE")) == "numpy"


def test_no_compiler_falls_back_to_numpy_with_a_warning():
    with config.change_flags(cxx="no-such-compiler-xyz"):
        with pytest.warns(UserWarning, match="no C compiler found"):
            assert resolve(None, device="cpu") == "numpy"
        ok, why = get_backend("c").available()
        assert not ok and "no-such-compiler-xyz" in why
        with pytest.raises(CompileError, match="target 'c' is not available: no C compiler"):
            check_available("c")


def test_target_mode_replaces_the_backend():
    assert target_mode("numpy").backend == "numpy"
    assert target_mode("numpy").name == "FAST_COMPILE"
    assert target_mode("numpy", "FAST_RUN").backend == "numpy"  # not FAST_RUN's C
    assert target_mode("c").backend == "c"


@pytest.mark.parametrize("target", ["numpy", "c"])
def test_every_backend_returns_a_schedule_of_records(target):
    x = T.dvector("x")
    f = tensordsl.function([x], [T.exp(x).sum(), T.argmax(x)], mode=target_mode(target))
    assert isinstance(f.thunk, Schedule)
    assert f.thunk.backend == target
    for step in f.thunk.steps:
        assert step.node in f.maker.fgraph.apply_nodes
        assert step.compiled == (target != "numpy" and step.kernel is not None)
    total, arg = f(np.array([0.5, 2.0, -1.0]))
    np.testing.assert_allclose(total, np.exp([0.5, 2.0, -1.0]).sum(), rtol=1e-14)
    assert arg == 1


def test_c_sources_are_records_with_entry_and_layout():
    x, y = T.dvectors("x", "y")
    f = tensordsl.function([x, y], T.exp(x) * y + 1)
    (src,) = get_backend("c").sources(f.maker.fgraph)
    assert isinstance(src, KernelSource) and src.language == "c"
    assert src.entry in src.text and "Fused" in src.node
    assert len(src.args) == 3 and "input x" in src.args[0] and "output" in src.args[2]


def test_numpy_source_is_python():
    x = T.dvector("x")
    f = tensordsl.function([x], T.exp(x) * 2)
    (src,) = get_backend("numpy").sources(f.maker.fgraph, "double_exp")
    assert src.language == "python" and src.text.startswith("def double_exp(v0):")


def test_inner_graphs_run_on_the_active_backend():
    x = T.dvector("x")
    acc0 = T.constant(np.float64(0))
    r, _ = tensordsl.scan(lambda a, acc: acc + T.exp(a) * 2, sequences=x, outputs_info=acc0)
    f = tensordsl.function([x], r, mode=target_mode("c"))
    (scan_step,) = [s for s in f.thunk.steps if type(s.node.op).__name__ == "Scan"]
    if scan_step.compiled:  # the C backend runs the whole loop (backends/c/scan_loop.py)
        thunk = scan_step.runner.step_schedule()  # the step its Python fallback runs
    else:
        thunk = scan_step.call.args[1][0]  # perform_with's compiled step graph
    assert isinstance(thunk, Schedule) and thunk.backend == "c"
    assert any(s.compiled for s in thunk.steps)
    values = np.array([0.1, -0.4, 2.0])
    np.testing.assert_allclose(f(values), np.cumsum(np.exp(values) * 2), rtol=1e-13)
    # the op's own inner graph is not rewritten by compiling it
    assert not any(type(n.op).__name__ == "FusedElemwise"
                   for n in scan_step.node.op.inner.apply_nodes)


def test_c_sources_list_the_compiled_scan_loop():
    x = T.dtensor3("x")  # steps x batch x hidden: the loop compiles 2-d products
    W = T.dmatrix("W")
    h0 = T.dmatrix("h0")
    hs, _ = tensordsl.scan(lambda xt, h: T.tanh(T.dot(h, W) + xt), sequences=x,
                           outputs_info=h0)
    f = tensordsl.function([x, W, h0], hs, mode=target_mode("c"))
    entries = [s.entry for s in get_backend("c").sources(f.maker.fgraph)]
    assert "td_scan" in entries
