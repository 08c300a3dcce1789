"""The rewrite engine: named, tagged local rewrites and a worklist driver.

A *local rewrite* is a function `fn(fgraph, node)` looking at one Apply node. It returns
None (no change), a list with one replacement per output of `node`, or a dict
{old variable: new variable}. Rewrites are registered in one table (`REGISTRY`) under a
name and tags (canonicalize, stabilize, specialize, fusion, inplace, cleanup...); a mode
selects them with a `Query` over tags and names. `run_local` applies the selected
rewrites to every node, re-visiting what a replacement touches, until nothing fires.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tensordsl.config import config
from tensordsl.graph.basic import Apply, Variable
from tensordsl.graph.fgraph import OUTPUT, FunctionGraph
from tensordsl.ops import scalar as ps

RewriteFn = Callable[[FunctionGraph, Apply], Any]


@dataclass(frozen=True)
class LocalRewrite:
    """A named local rewrite; `tracks` limits it to nodes of these Op classes."""

    name: str
    fn: RewriteFn
    tags: frozenset[str]
    tracks: tuple[type, ...] = ()


@dataclass(frozen=True)
class Query:
    """Which rewrites run: any tag or name in `include`, none in `exclude`."""

    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()

    def selects(self, name: str, tags: Iterable[str]) -> bool:
        """True when a rewrite (or pass) with this name and tags is enabled."""
        keys = {name, *tags}
        return bool(keys & set(self.include)) and not keys & set(self.exclude)


REGISTRY: dict[str, LocalRewrite] = {}


def register(*tags: str, name: str | None = None, tracks: tuple[type, ...] = ()
             ) -> Callable[[RewriteFn], RewriteFn]:
    """Decorator: register `fn` as a local rewrite under `tags` (name = function name)."""

    def deco(fn: RewriteFn) -> RewriteFn:
        add_rewrite(LocalRewrite(name or fn.__name__, fn, frozenset(tags), tracks))
        return fn

    return deco


def add_rewrite(rewrite: LocalRewrite) -> None:
    """Add a rewrite to the registry; names are unique."""
    if rewrite.name in REGISTRY:
        raise ValueError(f"a rewrite named {rewrite.name!r} is already registered")
    REGISTRY[rewrite.name] = rewrite


def select(stage_tag: str, query: Query) -> list[LocalRewrite]:
    """The rewrites of one stage (tag) that `query` enables, in registration order."""
    return [r for r in REGISTRY.values() if stage_tag in r.tags and query.selects(r.name, r.tags)]


# -- tracing ------------------------------------------------------------------------------
@dataclass
class History:
    """Every replacement made while rewriting one graph (used by DEBUG_MODE)."""

    records: list[tuple[str, Variable, Variable]] = field(default_factory=list)


def describe(var: Variable) -> str:
    """A one-line description of a variable and the node computing it."""
    node = var.owner
    if node is None:
        return repr(var)
    args = ", ".join(_short(v) for v in node.inputs)
    return f"{node.op}({args})"


def _short(var: Variable) -> str:
    if var.owner is None:
        return repr(var)
    return f"{var.owner.op}(..)"


def apply_replacements(fgraph: FunctionGraph, pairs: list[tuple[Variable, Variable]],
                       reason: str) -> None:
    """Replace, print the firing when config.print_rewrites, record it in the history."""
    history = getattr(fgraph, "rewrite_history", None)
    for old, new in pairs:
        if old is new:
            continue
        if config.print_rewrites:
            print(f"rewrite {reason}: {describe(old)} -> {describe(new)}")
        if history is not None:
            history.records.append((reason, old, new))
        fgraph.replace(old, new, reason)


def normalize_result(node: Apply, result: Any) -> list[tuple[Variable, Variable]] | None:
    """Turn a rewrite's return value into checked (old, new) pairs, or None."""
    if result is None or result is False:
        return None
    if isinstance(result, dict):
        pairs = list(result.items())
    else:
        if isinstance(result, Variable):
            result = [result]
        if len(result) != len(node.outputs):
            raise ValueError(f"rewrite of {node.op} returned {len(result)} replacements for "
                             f"{len(node.outputs)} outputs")
        pairs = [(o, n) for o, n in zip(node.outputs, result) if n is not None]
    for old, new in pairs:
        if old.dtype != new.dtype or old.ndim != new.ndim:
            raise TypeError(f"rewrite produced {new.type} for {old.type} at {node.op}")
    return [(o, n) for o, n in pairs if o is not n] or None


# -- the worklist driver ------------------------------------------------------------------
class _Worklist:
    """A queue of nodes to visit; nodes imported by a replacement are queued too."""

    def __init__(self, fgraph: FunctionGraph) -> None:
        self.queue: deque[Apply] = deque(fgraph.toposort())
        self.queued = set(self.queue)

    def push(self, node: Any) -> None:
        if node is not OUTPUT and node not in self.queued:
            self.queue.append(node)
            self.queued.add(node)

    def on_import(self, fgraph: FunctionGraph, node: Apply) -> None:
        self.push(node)

    def on_prune(self, fgraph: FunctionGraph, node: Apply) -> None:
        pass

    def on_change_input(self, fgraph: FunctionGraph, node: Any, i: int, old: Variable,
                        new: Variable, reason: str | None) -> None:
        self.push(node)


def _dispatch(rewrites: list[LocalRewrite]) -> Callable[[Apply], list[LocalRewrite]]:
    """Per op class, the rewrites that may apply (cached)."""
    cache: dict[type, list[LocalRewrite]] = {}

    def lookup(node: Apply) -> list[LocalRewrite]:
        cls = type(node.op)
        found = cache.get(cls)
        if found is None:
            found = cache[cls] = [r for r in rewrites
                                  if not r.tracks or issubclass(cls, r.tracks)]
        return found

    return lookup


def run_local(fgraph: FunctionGraph, rewrites: list[LocalRewrite], max_firings: int = 100_000
              ) -> int:
    """Apply `rewrites` until none fires; returns the number of firings."""
    if not rewrites:
        return 0
    work = _Worklist(fgraph)
    remove = fgraph.add_listener(work)
    lookup = _dispatch(rewrites)
    firings = 0
    try:
        while work.queue:
            node = work.queue.popleft()
            work.queued.discard(node)
            if node not in fgraph.apply_nodes:
                continue
            for rewrite in lookup(node):
                pairs = normalize_result(node, rewrite.fn(fgraph, node))
                if pairs is None:
                    continue
                firings += 1
                if firings > max_firings:
                    raise RuntimeError(f"rewriting did not reach a fixpoint after "
                                       f"{max_firings} firings (last: {rewrite.name})")
                for _, new in pairs:
                    for client, _i in fgraph.clients.get(new, []):
                        work.push(client)
                apply_replacements(fgraph, pairs, rewrite.name)
                for _, new in pairs:
                    for client, _i in fgraph.clients.get(new, []):
                        work.push(client)
                break
    finally:
        remove()
    return firings


def scalar_name(node: Apply) -> str | None:
    """The scalar op name of an Elemwise node (None for other ops)."""
    sop = getattr(node.op, "scalar_op", None)
    return sop.name if isinstance(sop, ps.ScalarOp) else None
