"""The pass order, written down once: an ordered table of named stages.

    merge             CSE of identical nodes and equal constants        (global)
    constant_folding  nodes of constant inputs become constants         (local)
    scan_pushout_seq  scans' sequence-only step values out (opt-in)     (local)
    canonicalize      algebraic identities, chains collapsed            (local)
    stabilize         numerically stable forms                          (local)
    specialize        Gemm, dot, reciprocal, sqr                        (local)
    rowblock          X @ w -> row kernel -> X.T @ g as one node        (global)
    fusion            elementwise (+ reduce) regions -> Kernel nodes    (global)
    inplace_update    shared updates computed in the shared buffer      (global, opt-in)
    inplace           dead inputs' buffers reused                       (global)

merge and constant folding run again after every local stage that changed the graph,
since rewrites create duplicates and constant subexpressions. A stage runs when the
mode's query selects its tag (or, for local stages, any of its rewrites by name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.rewrite import (  # noqa: F401 (registers)
    canonicalize,
    inc_serialize,
    scan_pushout,
    scan_pushout_acc,
    shapes,
    specialize,
    stabilize,
)
from tensordsl.rewrite.engine import History, Query, run_local, select
from tensordsl.rewrite.fusion import fuse
from tensordsl.rewrite.global_passes import merge_pass, remove_dead
from tensordsl.rewrite.inplace import inplace_pass, shared_updates_inplace
from tensordsl.rewrite.rowblock import rowblock_pass


@dataclass(frozen=True)
class Stage:
    """One named stage: a local stage runs its tag's rewrites; a global one runs `run`."""

    name: str
    run: Callable[[FunctionGraph], int] | None = None  # None: a local stage

    def enabled(self, query: Query) -> bool:
        """Whether the query selects this stage (or, if local, any of its rewrites)."""
        if self.run is not None:
            return query.selects(self.name, ())
        return bool(select(self.name, query))

    def apply(self, fgraph: FunctionGraph, query: Query) -> int:
        """Run the stage; returns how many changes it made."""
        if self.run is not None:
            return self.run(fgraph)
        return run_local(fgraph, select(self.name, query))


MERGE = Stage("merge", merge_pass)
CONSTANT_FOLDING = Stage("constant_folding")
PIPELINE: tuple[Stage, ...] = (
    MERGE,
    CONSTANT_FOLDING,
    # opt-in (not in fast_run): step values of sequences computed outside scans' loops
    Stage("scan_pushout_seq"),
    Stage("canonicalize"),
    Stage("stabilize"),
    Stage("specialize"),
    # before fusion: it sees Elemwise nodes (the row kernel is built from them)
    Stage("rowblock", rowblock_pass),
    Stage("fusion", fuse),
    # Not in fast_run: a shared variable updated in its own buffer is already changed
    # if a later node of the same call raises, and a failed call must change nothing.
    Stage("inplace_update", shared_updates_inplace),
    Stage("inplace", inplace_pass),
)
_TIDY = (MERGE, CONSTANT_FOLDING)
# Stages that only help a backend that compiles what they build; a mode runs them when
# its backend lists them in `Backend.stages` (the numpy reference would run RowBlock's
# subgraph unfused anyway).
# "gemm_update" is a tag, not a stage: `dot_axpy_to_gemm` (specialize) pays only where the
# C function driver accumulates the update in place; the OpenCL Gemm reads alpha and beta
# back from the device on every call, so there the update stays a product plus a kernel.
BACKEND_STAGES = ("rowblock", "gemm_update")


def rewrite_graph(fgraph: FunctionGraph, include: tuple[str, ...] = ("fast_run",),
                  exclude: tuple[str, ...] = (), check: bool = False) -> FunctionGraph:
    """Run the selected stages of PIPELINE on `fgraph`, in place; returns it.

    With `check` (DEBUG_MODE), the graph's invariants are verified after every stage, so
    a broken stage is named where it breaks the graph rather than stages later."""
    query = Query(_expand(include), tuple(exclude))
    if getattr(fgraph, "rewrite_history", None) is None:
        fgraph.rewrite_history = History()  # type: ignore[attr-defined]
    for stage in PIPELINE:
        if not stage.enabled(query):
            continue
        changed = stage.apply(fgraph, query)
        if changed and stage.run is None:
            for tidy in _TIDY:
                if tidy.enabled(query):
                    tidy.apply(fgraph, query)
        if check:
            _check(fgraph, stage.name)
    remove_dead(fgraph)
    return fgraph


def _check(fgraph: FunctionGraph, stage: str) -> None:
    """Clients consistent, no dangling node, and every node's types what its op infers."""
    try:
        fgraph.check()
        for node in fgraph.apply_nodes:
            remade = node.op.make_node(*node.inputs)
            for old, new in zip(node.outputs, remade.outputs):
                if old.dtype != new.dtype or old.ndim != new.ndim:
                    raise AssertionError(f"{node.op} outputs {old.type}, its inputs give "
                                         f"{new.type}")
    except AssertionError as err:
        raise AssertionError(f"the graph is invalid after the {stage!r} stage: {err}") from None


# Tags that stand for a whole mode's selection.
_ALIASES = {
    "fast_run": ("merge", "constant_folding", "canonicalize", "stabilize", "specialize",
                 "rowblock", "fusion", "inplace"),
    "fast_compile": ("merge", "constant_folding"),
}


def _expand(include: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for tag in include:
        out.extend(_ALIASES.get(tag, (tag,)))
    return tuple(out)
