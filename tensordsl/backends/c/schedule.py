"""The C backend's thunk: a FunctionGraph's schedule, compiled kernels where possible.

Each node becomes one `Step`. Kernel-shaped nodes (see `kernel/lower.py`) go through the
pipeline render -> validate -> build (disk cache) -> load -> `KernelRunner`; every other
node without a rule in `LOWERING` (matrix products included: numpy's dot calls the
optimised BLAS) runs its numpy `perform`, and one log line lists those. A graph that is a
single kernel over the function's inputs gets the kernel's checked call itself as its
`run`: one foreign call; when that kernel is 0-d the schedule also offers `fast_call`,
which makes the C trampoline (`trampoline.py`) the Function can use as its `__call__`.
Any other graph is offered to the function driver (`driver.py`, `config.c_driver`): when
it can lower every node, the Schedule's `run` is the driver's one foreign call and the
per-node steps stay as its fallback.
"""

from __future__ import annotations

import collections
import functools
import logging
from collections.abc import Callable
from typing import Any

from tensordsl.backends.c import cache, runtime, trampoline, validate
from tensordsl.backends.c.lowering import Unsupported
from tensordsl.backends.c.render import CRenderer
from tensordsl.config import config
from tensordsl.graph.basic import Apply
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.graph.schedule import (
    InnerCompiler,
    Schedule,
    Step,
    Storage,
    interpret,
    perform_step,
)
from tensordsl.kernel.ir import Kernel
from tensordsl.kernel.lower import lower_node
from tensordsl.ops.rowblock import RowBlock

log = logging.getLogger("tensordsl.backends.c")
ENTRY = "td_kernel"
RAW = ("_raw",)  # a 0-d kernel also exports `<entry>_raw` (the trampoline calls it)
_compiled: dict[tuple, Any] = {}


def kernel_source(kernel: Kernel, check: bool = True, aliasing: bool = False) -> str:
    """The C unit of `kernel`, validated unless `check` is False (raises Unsupported if
    the kernel cannot be lowered). `aliasing`: outputs may share an input's buffer."""
    source = CRenderer(openmp=config.openmp, aliasing=aliasing).render(kernel, ENTRY)
    if check:
        validate.check_source(source)
    return source


def _key(kernel: Kernel, aliasing: bool) -> tuple:
    """The in-process cache key of a loaded kernel: everything its library depends on."""
    return (kernel, aliasing, config.cxx, config.cflags, config.c_march, config.openmp,
            config.compiledir)


def compile_kernel(kernel: Kernel, aliasing: bool = False) -> Any:
    """The loaded entry of `kernel` (cached in process and on disk); `aliasing` builds
    the variant whose outputs may be written into input buffers (no `restrict`)."""
    return _load(kernel, aliasing)[0]


def _load(kernel: Kernel, aliasing: bool) -> tuple[Any, str, str]:
    """(loaded entry, library path, entry symbol) of `kernel`."""
    key = _key(kernel, aliasing)
    hit = _compiled.get(key)
    if hit is None:
        # validated only when it is built: a cached library was checked at its build
        source = kernel_source(kernel, check=False, aliasing=aliasing)
        path, symbol = cache.get_entry(source, ENTRY, validate.check_source, also=RAW)
        fn = runtime.load_entry(path, symbol, len(kernel.inputs) + len(kernel.outputs),
                                release_gil=kernel.ndim > 0)
        hit = _compiled[key] = (fn, path, symbol)
    return hit


def kernel_runner(kernel: Kernel, labels: list[str], who: str,
                  inplace: tuple[tuple[int, int], ...] = ()) -> runtime.KernelRunner:
    """A checked caller of the compiled `kernel`."""
    fn, path, symbol = _load(kernel, aliasing=bool(inplace) and not kernel.is_reduction)
    return runtime.KernelRunner(kernel, fn, labels, who, inplace, library=path, entry=symbol)


def _inplace(node: Apply, loaded: list[int]) -> tuple[tuple[int, int], ...]:
    """The node's (output, kernel input) in-place pairs."""
    pattern = getattr(node.op, "inplace_pattern", ())
    return tuple((o, loaded.index(i)) for o, i in pattern if i in loaded)


# Units of nodes with their own lowering rule (a compiled scan loop, a row-block, an MRG
# draw): op class -> unit(node, inner) giving the cache.Unit the rule's runner will ask
# the cache for (None, or Unsupported raised: the node has no unit). `prebuild` adds them
# to the function's one bundle build; the runner then finds its unit by its key.
UnitRule = Callable[[Apply, "InnerCompiler | None"], "cache.Unit | None"]
UNITS: dict[type, UnitRule] = {}


def unit_of(op_class: type) -> Callable[[UnitRule], UnitRule]:
    """Register how to render the unit a node of `op_class` is compiled into."""
    def register(rule: UnitRule) -> UnitRule:
        UNITS[op_class] = rule
        return rule
    return register


def prebuild(nodes: list[Apply], inner: InnerCompiler | None = None,
             extra: tuple[cache.Unit, ...] = ()) -> None:
    """Build the libraries of all these nodes' units at once: their kernels, the units
    of nodes with their own rule (`UNITS`: scan loops, row-blocks, MRG draws) and the
    `extra` units (the function driver); the ones the disk cache lacks are compiled by
    ONE compiler run into one library (`cache.get_entries`). Each kernel's entry is
    loaded here, so `compile_kernel` finds it in process (no second render or cache
    lookup); the other runners find their unit in the disk cache by its key."""
    todo: dict[tuple, str] = {}  # in-process key -> source
    others: list[cache.Unit] = list(extra)
    for node in nodes:
        rule = UNITS.get(type(node.op))
        if rule is not None:
            try:
                unit = rule(node, inner)
            except Unsupported:
                unit = None
            if unit is not None:
                others.append(unit)
            continue
        lowered = lower_node(node)
        if lowered is None:
            continue
        aliasing = bool(_inplace(node, lowered[1])) and not lowered[0].is_reduction
        key = _key(lowered[0], aliasing)
        if key in _compiled or key in todo:
            continue
        try:
            todo[key] = kernel_source(lowered[0], check=False, aliasing=aliasing)
        except Unsupported:
            continue
    if not todo and not others:
        return
    found = cache.get_entries([cache.Unit(src, ENTRY, RAW) for src in todo.values()]
                              + others, validate.check_source)
    for key, (path, symbol) in zip(todo, found):
        kernel = key[0]
        fn = runtime.load_entry(path, symbol, len(kernel.inputs) + len(kernel.outputs),
                                release_gil=kernel.ndim > 0)
        _compiled[key] = (fn, path, symbol)


# The C backend's lowering table: op class -> rule(node, inner) making the node's runner
# (with the node inputs it reads); it raises Unsupported when the node cannot run
# compiled. `inner` is the function's InnerCompiler (None when compiled on its own): a
# rule compiling a loop rewrites its step graph with it. Kernel-shaped nodes
# (kernel.lower) are tried for every op not listed here.
Lowered = tuple[Any, list[int]]
Rule = Callable[[Apply, "InnerCompiler | None"], "Lowered | None"]
LOWERING: dict[type, Rule] = {}


def lowers(op_class: type) -> Callable[[Rule], Rule]:
    """Register a lowering rule for nodes of `op_class`."""
    def register(rule: Rule) -> Rule:
        LOWERING[op_class] = rule
        return rule
    return register


@lowers(RowBlock)
def _rowblock(node: Apply, inner: InnerCompiler | None) -> Lowered:
    from tensordsl.backends.c.render_rowblock import rowblock_runner

    return rowblock_runner(node), list(range(len(node.inputs)))


@unit_of(RowBlock)
def _rowblock_unit(node: Apply, inner: InnerCompiler | None) -> cache.Unit:
    from tensordsl.backends.c.render_rowblock import rowblock_unit

    return rowblock_unit(node)


def _kernel_step(node: Apply, inner: InnerCompiler | None) -> Lowered | None:
    lowered = lower_node(node)
    if lowered is None:
        return None
    kernel, loaded = lowered
    labels = [repr(node.inputs[i]) for i in loaded]
    return kernel_runner(kernel, labels, str(node.op), _inplace(node, loaded)), loaded


def _try_lower(node: Apply, inner: InnerCompiler | None = None) -> Lowered | str:
    """(runner, node inputs it reads), or why the node runs through numpy perform."""
    rule = LOWERING.get(type(node.op), _kernel_step)
    try:
        lowered = rule(node, inner)
    except Unsupported as why:
        return f"{node.op} ({why})"
    return lowered if lowered is not None else type(node.op).__name__


def make_thunk(fgraph: FunctionGraph, compile_inner: InnerCompiler | None = None
               ) -> Schedule:
    """A Schedule running `fgraph`: compiled kernels where possible, numpy elsewhere."""
    storage = Storage()
    slots = storage.slots_of
    input_slots = slots(fgraph.inputs)
    steps: list[Step] = []
    fallbacks: collections.Counter = collections.Counter()
    fresh: set[int] = set()
    order = fgraph.toposort()
    driver = _driver_unit(fgraph, order)
    prebuild(order, compile_inner, () if driver is None else (driver[1],))
    for node in order:
        outs = slots(node.outputs)
        lowered = _try_lower(node, compile_inner)
        if isinstance(lowered, str):
            fallbacks[lowered] += 1
            steps.append(perform_step(node, slots(node.inputs), outs, compile_inner))
            continue
        runner, loaded = lowered
        steps.append(Step(node, runner.call, slots(node.inputs[i] for i in loaded), outs,
                          compiled=True, kernel=getattr(runner, "kernel", None),
                          runner=runner))
        if not node.op.destroy_map:
            fresh.update(outs)
    if fallbacks:
        log.info("C backend: %d node(s) run through numpy perform: %s",
                 sum(fallbacks.values()),
                 ", ".join(f"{k} x{v}" if v > 1 else k for k, v in fallbacks.items()))
    output_slots = slots(fgraph.outputs)
    fresh_outputs = tuple(s in fresh and s not in input_slots and output_slots.count(s) == 1
                          for s in output_slots)
    if (len(steps) == 1 and steps[0].compiled and steps[0].inputs == input_slots
            and steps[0].outputs == output_slots):
        run = steps[0].call  # one foreign call: no interpreter loop
    else:
        run = interpret(storage.template, input_slots, tuple(steps), output_slots)
    schedule = Schedule(run, tuple(steps), input_slots, output_slots, fresh_outputs,
                        _fast_call_maker(steps, input_slots, output_slots), backend="c")
    if config.c_driver and (len(steps) > 1 or (steps and not steps[0].compiled)):
        from tensordsl.backends.c.driver import make_driver

        # the whole graph in one foreign call; the schedule stays its fallback
        return make_driver(fgraph, schedule, driver) or schedule
    return schedule


def _driver_unit(fgraph: FunctionGraph, order: list[Apply]) -> tuple[Any, cache.Unit] | None:
    """(described graph, unit) of the function driver `make_thunk` will try, rendered
    before the kernels are built so it joins their bundle (its source depends on the
    graph only: it calls the kernels through pointers); None when no driver is tried
    (a one-node graph: its step is the call) or the graph has a node it cannot run."""
    if not config.c_driver or len(order) < 2:
        return None
    from tensordsl.backends.c.driver import driver_unit

    return driver_unit(fgraph)


def _fast_call_maker(steps: list[Step], input_slots: tuple[int, ...],
                     output_slots: tuple[int, ...]) -> Any | None:
    """When the graph is one 0-d kernel over some of its inputs (in any order) computing
    exactly its outputs: `make(fallback, kind, in_types, names, trusted)`, which makes the C
    trampoline a Function can use as its `__call__` (or None)."""
    if len(steps) != 1 or not steps[0].compiled or steps[0].outputs != output_slots:
        return None
    runner = steps[0].runner
    if not isinstance(runner, runtime.KernelRunner):  # another compiled call (RowBlock)
        return None
    if runner.kernel.ndim != 0 or runner.inplace or any(s not in input_slots
                                                        for s in steps[0].inputs):
        return None
    order = tuple(input_slots.index(s) for s in steps[0].inputs)
    return functools.partial(_fast_call, runner, order)


def _fast_call(runner: runtime.KernelRunner, order: tuple[int, ...], fallback: Any, kind: str,
               in_types: list[Any], names: dict[str, int], trusted: bool) -> Any | None:
    """The C trampoline for a Function whose graph is the 0-d kernel of `runner`, taking
    every call it cannot do itself to `fallback` (None when there is no trampoline)."""
    return trampoline.scalar_call(runner.library, runner.entry, order, runner.in_dtypes,
                                  runner.out_dtypes, fallback, kind, in_types, names, trusted)


def step_source(step: Step) -> tuple[str, str, tuple[str, ...]] | None:
    """(C unit, entry, argument layout) a compiled step runs, or None for a host step.
    A runner that renders its own unit (the compiled scan loop) carries `source` and
    `entry`."""
    runner = step.runner
    if isinstance(getattr(runner, "source", None), str) and hasattr(runner, "entry"):
        return runner.source, runner.entry, tuple(repr(v) for v in step.node.inputs)
    if isinstance(runner, runtime.KernelRunner):
        aliasing = bool(runner.inplace) and not runner.kernel.is_reduction
        k = runner.kernel
        args = tuple([f"td_array *a{j}: input {lbl} ({x.dtype}, {k.ndim}-d)"
                      for j, (lbl, x) in enumerate(zip(runner.labels, k.inputs))] +
                     [f"td_array *o{j}: output ({d})"
                      for j, d in enumerate(k.output_dtypes)])
        return kernel_source(k, aliasing=aliasing), ENTRY, args
    if isinstance(step.node.op, RowBlock):
        from tensordsl.backends.c.render_rowblock import ENTRY as ROW_ENTRY
        from tensordsl.backends.c.render_rowblock import render_rowblock

        op = step.node.op
        text = render_rowblock(op.kernel, op.n_rows_out, op.n_sums, config.openmp)
        validate.check_source(text)
        return text, ROW_ENTRY, tuple(repr(v) for v in step.node.inputs)
    return None
