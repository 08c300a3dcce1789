"""The pass order, written down once: an ordered table of named stages.

    merge             CSE of identical nodes and equal constants        (global)
    constant_folding  nodes of constant inputs become constants         (local)
    canonicalize      algebraic identities, chains collapsed            (local)
    stabilize         numerically stable forms                          (local)
    specialize        Gemm, dot, reciprocal, sqr                        (local)
    fusion            elementwise (+ reduce) regions -> Kernel nodes    (global)
    inplace           dead inputs' buffers reused                       (global)

merge and constant folding run again after every local stage that changed the graph,
since rewrites create duplicates and constant subexpressions. A stage runs when the
mode's query selects its tag (or, for local stages, any of its rewrites by name).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.rewrite import canonicalize, specialize, stabilize  # noqa: F401 (registers)
from tensordsl.rewrite.engine import History, Query, run_local, select
from tensordsl.rewrite.fusion import fuse
from tensordsl.rewrite.global_passes import merge_pass, remove_dead
from tensordsl.rewrite.inplace import inplace_pass


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
    Stage("canonicalize"),
    Stage("stabilize"),
    Stage("specialize"),
    Stage("fusion", fuse),
    Stage("inplace", inplace_pass),
)
_TIDY = (MERGE, CONSTANT_FOLDING)


def rewrite_graph(fgraph: FunctionGraph, include: tuple[str, ...] = ("fast_run",),
                  exclude: tuple[str, ...] = ()) -> FunctionGraph:
    """Run the selected stages of PIPELINE on `fgraph`, in place; returns it."""
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
    remove_dead(fgraph)
    return fgraph


# Tags that stand for a whole mode's selection.
_ALIASES = {
    "fast_run": ("merge", "constant_folding", "canonicalize", "stabilize", "specialize",
                 "fusion", "inplace"),
    "fast_compile": ("merge", "constant_folding"),
}


def _expand(include: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for tag in include:
        out.extend(_ALIASES.get(tag, (tag,)))
    return tuple(out)
