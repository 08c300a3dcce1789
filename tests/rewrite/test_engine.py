"""The engine: registry and queries, the worklist, merge, constant folding, dead code,
the pass order, the print_rewrites trace and f.maker.fgraph."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl as td
from tensordsl import tensor as T
from tensordsl.graph.basic import Constant
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.rewrite import PIPELINE, REGISTRY, Query, rewrite_graph
from tensordsl.rewrite.engine import select
from tests.rewrite.helpers import (
    NO_REWRITES,
    array_of,
    assert_values_equal,
    compile_fn,
    only,
    op_names,
)


def test_pass_order_is_one_table():
    assert [s.name for s in PIPELINE] == ["merge", "constant_folding", "scan_pushout_seq",
                                          "canonicalize", "stabilize", "specialize",
                                          "rowblock", "fusion", "inplace_update", "inplace"]


def test_every_rewrite_has_a_stage_tag():
    stages = {s.name for s in PIPELINE}
    for rewrite in REGISTRY.values():
        assert rewrite.tags & stages, rewrite.name


def test_query_by_tag_and_name():
    q = Query(include=("canonicalize",), exclude=("add_zero",))
    names = {r.name for r in select("canonicalize", q)}
    assert "mul_one" in names and "add_zero" not in names
    assert {r.name for r in select("canonicalize", Query(include=("add_zero",)))} == {"add_zero"}
    x = T.dvector("x")
    f = compile_fn([x], (x + 0) * 1, td.Mode("M", include=("fast_run",)).excluding("add_zero",
                                                                                   "fusion"))
    assert op_names(f) == ["Elemwise{add}"]


def test_merge_identical_subgraphs_and_constants():
    x = T.dvector("x")
    a = T.exp(x) + 2.0
    b = T.exp(x) + 2.0  # a second, equal constant
    f = compile_fn([x], [a * b, a - b], only("merge"))
    assert op_names(f).count("Elemwise{exp}") == 1
    assert op_names(f).count("Elemwise{add}") == 1
    consts = [v for v in f.maker.fgraph.variables if isinstance(v, Constant)
              and f.maker.fgraph.clients[v]]
    assert len(consts) == 1


@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_merge_and_folding_keep_values(data):
    x = T.dmatrix("x")
    c = T.constant(np.arange(3.0)) * 2 + 1
    out = [T.exp(x) * c + T.exp(x), T.sqr(c).sum() * x]
    value = data.draw(array_of(x.type, (data.draw(st.integers(0, 3)), 3)))
    want = compile_fn([x], out, NO_REWRITES)(value)
    got = compile_fn([x], out, "FAST_COMPILE")(value)
    for g, w in zip(got, want):
        assert_values_equal(g, w)


def test_constant_folding():
    x = T.dvector("x")
    c = T.exp(T.constant(np.array([0.0, 1.0]))) * 2
    f = compile_fn([x], x + c, "FAST_COMPILE")
    assert op_names(f) == ["Elemwise{add}"]
    assert_values_equal(f(np.zeros(2)), np.exp([0.0, 1.0]) * 2)


def test_folding_keeps_runtime_errors_at_runtime():
    x = T.dvector("x")
    bad = T.constant(np.ones(2)) + T.constant(np.ones(3)).dimshuffle(0)[:2] * 0
    f = compile_fn([x], x + bad, "FAST_COMPILE")
    assert_values_equal(f(np.zeros(2)), np.ones(2))


def test_dead_code_is_removed():
    x = T.dvector("x")
    fg = FunctionGraph([x], [(x + 0) * T.exp(x)])
    rewrite_graph(fg, include=("fast_run",), exclude=("fusion",))
    fg.check()
    assert len(fg.apply_nodes) == 2  # exp and mul; the add is gone from the graph


def test_print_rewrites_trace(capsys):
    x = T.dvector("x")
    with td.config.change_flags(print_rewrites=True):
        compile_fn([x], T.log(1 + x) * 1, "FAST_RUN")
    out = capsys.readouterr().out
    assert "rewrite mul_one: Elemwise{mul}(" in out
    assert "rewrite log1p: Elemwise{log}(Elemwise{add}(..)) -> Elemwise{log1p}(x)" in out
    assert "rewrite fusion:" in out or "log1p" in out


def test_maker_fgraph_is_the_rewritten_graph():
    x = T.dvector("x")
    f = compile_fn([x], T.log(1 + x), "FAST_RUN")
    assert op_names(f) == ["Elemwise{log1p}"]
    f.maker.fgraph.check()


def test_fixpoint_guard(monkeypatch):
    from tensordsl.rewrite import engine
    from tensordsl.rewrite.engine import LocalRewrite, add_rewrite
    from tensordsl.rewrite.util import op

    def flip(fgraph, node):  # exp(x) <-> exp(x) forever
        if getattr(node.op, "scalar_op", None) is not None and node.op.scalar_op.name == "exp":
            return [op("exp", node.inputs[0])]
        return None

    monkeypatch.setattr(engine, "MAX_FIRINGS", 500)
    add_rewrite(LocalRewrite("test_flip", flip, frozenset({"canonicalize", "test_flip"})))
    try:
        x = T.dvector("x")
        fg = FunctionGraph([x], [T.exp(x)])
        with pytest.raises(RuntimeError, match="fixpoint"):
            rewrite_graph(fg, include=("test_flip",))
    finally:
        del REGISTRY["test_flip"]
