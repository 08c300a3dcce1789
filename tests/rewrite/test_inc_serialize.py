"""inc_subtensor_serialize (tensordsl/rewrite/inc_serialize.py): a sum of slice increments
into zeros of one value becomes one chain of increments; values equal the reference
(FAST_COMPILE) for drawn slices, overlapping ones included, and other terms of the sum."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import tensordsl
from tensordsl import tensor as T
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.ops.subtensor import IncSubtensor
from tensordsl.rewrite import rewrite_graph
from tensordsl.rewrite.engine import scalar_name

BOUND = st.one_of(st.none(), st.integers(-5, 5))
SLICES = st.tuples(BOUND, BOUND, st.sampled_from([None, 1, 2, -1]))


def sum_of_increments(z: T.TensorVariable, parts: list, extra: bool) -> T.TensorVariable:
    terms = [T.inc_subtensor(T.zeros_like(z)[:, slice(*sl)], T.sin(z[:, slice(*sl)]) * (k + 1))
             for k, sl in enumerate(parts)]
    if extra:
        terms.append(z * 0.5)
    total = terms[0]
    for t in terms[1:]:
        total = total + t
    return total


def rewritten(inputs: list, output: T.TensorVariable) -> FunctionGraph:
    return rewrite_graph(FunctionGraph(inputs, [output]), include=("canonicalize",))


@settings(max_examples=40, deadline=None)
@given(parts=st.lists(SLICES, min_size=2, max_size=4), extra=st.booleans(),
       rows=st.integers(0, 3), cols=st.integers(0, 7),
       dtype=st.sampled_from(["float32", "float64"]), seed=st.integers(0, 99))
def test_chain_equals_reference(parts: list, extra: bool, rows: int, cols: int, dtype: str,
                                seed: int) -> None:
    z = T.matrix("z", dtype)
    out = sum_of_increments(z, parts, extra)
    graph = rewritten([z], out)
    adds_of_incs = [n for n in graph.apply_nodes if scalar_name(n) == "add"
                    and sum(isinstance(i.owner.op, IncSubtensor) for i in n.inputs
                            if i.owner is not None) >= 2]
    assert not adds_of_incs  # the increments are chained, not summed
    value = np.random.default_rng(seed).standard_normal((rows, cols)).astype(dtype)
    fast = tensordsl.function([z], out, mode="FAST_RUN")
    ref = tensordsl.function([z], out, mode="FAST_COMPILE")
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(fast(value), ref(value), **tol)


def test_sets_and_different_bases_are_left_alone() -> None:
    z, w = T.matrix("z"), T.matrix("w")
    kept = [T.set_subtensor(T.zeros_like(z)[:, :2], z[:, :2])
            + T.set_subtensor(T.zeros_like(z)[:, 2:], z[:, 2:]),
            T.inc_subtensor(T.zeros_like(z)[:, :2], z[:, :2])
            + T.inc_subtensor(T.zeros_like(w)[:, 2:], w[:, 2:])]
    for out in kept:
        graph = rewritten([z, w], out)
        assert any(scalar_name(n) == "add" for n in graph.apply_nodes)
