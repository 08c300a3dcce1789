"""FAST_COMPILE, FAST_RUN and DEBUG_MODE."""

from __future__ import annotations

import numpy as np
import pytest

import tensordsl as td
from tensordsl import tensor as T
from tensordsl.rewrite import REGISTRY
from tensordsl.rewrite.engine import LocalRewrite, add_rewrite
from tensordsl.rewrite.util import op
from tensordsl.runtime.debugmode import DebugModeError
from tensordsl.runtime.mode import PREDEFINED, get_mode
from tests.rewrite.helpers import assert_values_equal, compile_fn, count_kernels, op_names


def _graph():
    x = T.dmatrix("x")
    return x, T.log(1 + T.exp(x) * 1).sum(axis=1)


def test_fast_compile_only_merges_and_folds():
    x, out = _graph()
    f = compile_fn([x], out, "FAST_COMPILE")
    assert "Elemwise{log}" in op_names(f) and count_kernels(f) == 0
    assert PREDEFINED["FAST_COMPILE"].backend == "numpy"


def test_fast_run_rewrites_everything():
    x, out = _graph()
    f = compile_fn([x], out, "FAST_RUN")
    assert op_names(f) == ["Fused{softplus reduce(1,)}"]  # log(1+exp(x)) -> softplus
    value = np.random.default_rng(0).random((3, 4))
    assert_values_equal(f(value), np.log1p(np.exp(value)).sum(axis=1))


def test_debug_mode_passes_correct_rewrites():
    x, out = _graph()
    f = compile_fn([x], out, "DEBUG_MODE")
    value = np.random.default_rng(0).random((3, 4))
    assert_values_equal(f(value), np.log1p(np.exp(value)).sum(axis=1))


def test_debug_mode_names_the_wrong_rewrite():
    def wrong(fgraph, node):  # claims exp(x) == expm1(x)
        if getattr(getattr(node.op, "scalar_op", None), "name", None) == "exp":
            return [op("expm1", node.inputs[0])]
        return None

    add_rewrite(LocalRewrite("wrong_exp", wrong, frozenset({"canonicalize"})))
    try:
        x, out = _graph()
        f = compile_fn([x], out, "DEBUG_MODE")
        with pytest.raises(DebugModeError, match=r"rewrite 'wrong_exp' changed a value: "
                                                  r"Elemwise\{exp\}.*Elemwise\{expm1\}"):
            f(np.ones((2, 2)))
    finally:
        del REGISTRY["wrong_exp"]


def test_debug_mode_with_updates_and_inplace():
    W = td.shared(np.array([0.5, -1.0, 2.0]), "W")
    x = T.dvector("x")
    y = (x * W).sum()
    f = td.function([x], y, updates=[(W, W - 0.1 * (y - 1) * x)], mode="DEBUG_MODE")
    for _ in range(3):
        f(np.array([1.0, 2.0, 3.0]))
    g_w = np.array([0.5, -1.0, 2.0])
    for _ in range(3):
        yv = (np.array([1.0, 2.0, 3.0]) * g_w).sum()
        g_w = g_w - 0.1 * (yv - 1) * np.array([1.0, 2.0, 3.0])
    assert_values_equal(W.get_value(), g_w)


def test_config_mode_default_is_fast_run():
    x, out = _graph()
    with td.config.change_flags(mode="FAST_COMPILE"):
        assert count_kernels(compile_fn([x], out, None)) == 0
    assert count_kernels(compile_fn([x], out, None)) == 1


def test_debug_mode_checks_the_graph_after_each_stage():
    def dangling(fgraph, node):  # leaves a node the graph does not reach
        if getattr(getattr(node.op, "scalar_op", None), "name", None) == "exp":
            fgraph.apply_nodes.add(T.log(node.inputs[0]).owner)  # corrupt the bookkeeping
        return None

    add_rewrite(LocalRewrite("corrupting", dangling, frozenset({"canonicalize"})))
    try:
        x, out = _graph()
        with pytest.raises(AssertionError, match="invalid after the 'canonicalize' stage"):
            compile_fn([x], out, "DEBUG_MODE")
        compile_fn([x], out, "FAST_RUN")  # no check outside DEBUG_MODE
    finally:
        del REGISTRY["corrupting"]


def test_modes_are_queries_over_tags():
    x, out = _graph()
    fused = compile_fn([x], out, get_mode("FAST_COMPILE").including("fusion"))
    assert count_kernels(fused) == 1 and "Elemwise{log}" not in op_names(fused)
    y = T.dmatrix("y")
    expr = T.tanh(T.dot(x, y)) * 2
    plain = compile_fn([x, y], expr, get_mode("FAST_RUN").excluding("inplace"))
    assert not any(n.op.destroy_map for n in plain.maker.fgraph.toposort())
    assert any(n.op.destroy_map for n in compile_fn([x, y], expr, "FAST_RUN")
               .maker.fgraph.toposort())
