"""The C backend's thunk: a FunctionGraph's schedule, compiled kernels where possible.

Each node becomes one step. Kernel-shaped nodes (see `lower.py`) go through the
pipeline render -> validate -> build (disk cache) -> load -> `KernelRunner`; every other
node (matrix products included: numpy's dot calls the optimised BLAS) runs its numpy
`perform`, and one log line lists those. A graph that is a single kernel over the
function's inputs gets the kernel's checked call itself as its thunk: one foreign call;
when that kernel is 0-d the thunk also offers `fast_call`, which makes the C trampoline
(`trampoline.py`) the Function can use as its `__call__`.
"""

from __future__ import annotations

import collections
import functools
import logging
from typing import Any

from tensordsl.backends.c import cache, runtime, trampoline, validate
from tensordsl.backends.c.lower import lower_node
from tensordsl.backends.c.lowering import Unsupported
from tensordsl.backends.c.render import CRenderer
from tensordsl.backends.numpy.vm import Storage, interpret
from tensordsl.config import config
from tensordsl.graph.basic import Apply
from tensordsl.graph.fgraph import FunctionGraph
from tensordsl.kernel.ir import Kernel

log = logging.getLogger("tensordsl.backends.c")
ENTRY = "td_kernel"
_compiled: dict[tuple, Any] = {}


def kernel_source(kernel: Kernel, check: bool = True, aliasing: bool = False) -> str:
    """The C unit of `kernel`, validated unless `check` is False (raises Unsupported if
    the kernel cannot be lowered). `aliasing`: outputs may share an input's buffer."""
    source = CRenderer(openmp=config.openmp, aliasing=aliasing).render(kernel, ENTRY)
    if check:
        validate.check_source(source)
    return source


def compile_kernel(kernel: Kernel, aliasing: bool = False) -> Any:
    """The loaded entry of `kernel` (cached in process and on disk); `aliasing` builds
    the variant whose outputs may be written into input buffers (no `restrict`)."""
    return _load(kernel, aliasing)[0]


def _load(kernel: Kernel, aliasing: bool) -> tuple[Any, str]:
    """(loaded entry, library path) of `kernel`."""
    key = (kernel, aliasing, config.cxx, config.cflags, config.openmp, config.compiledir)
    hit = _compiled.get(key)
    if hit is None:
        # validated only when it is built: a cached library was checked at its build
        source = kernel_source(kernel, check=False, aliasing=aliasing)
        path = cache.get_library(source, validate.check_source)
        fn = runtime.load_entry(path, ENTRY, len(kernel.inputs) + len(kernel.outputs),
                                release_gil=kernel.ndim > 0)
        hit = _compiled[key] = (fn, path)
    return hit


def kernel_runner(kernel: Kernel, labels: list[str], who: str,
                  inplace: tuple[tuple[int, int], ...] = ()) -> runtime.KernelRunner:
    """A checked caller of the compiled `kernel`."""
    fn, path = _load(kernel, aliasing=bool(inplace) and not kernel.is_reduction)
    return runtime.KernelRunner(kernel, fn, labels, who, inplace, library=path)


def _inplace(node: Apply, loaded: list[int]) -> tuple[tuple[int, int], ...]:
    """The node's (output, kernel input) in-place pairs."""
    pattern = getattr(node.op, "inplace_pattern", ())
    return tuple((o, loaded.index(i)) for o, i in pattern if i in loaded)


def prebuild(nodes: list[Apply]) -> None:
    """Build the libraries of all these nodes' kernels at once (one compiler process per
    missing kernel, run concurrently); `compile_kernel` then finds them in the cache."""
    sources = []
    for node in nodes:
        lowered = lower_node(node)
        if lowered is None:
            continue
        aliasing = bool(_inplace(node, lowered[1])) and not lowered[0].is_reduction
        key = (lowered[0], aliasing, config.cxx, config.cflags, config.openmp,
               config.compiledir)
        if key in _compiled:
            continue
        try:
            sources.append(kernel_source(lowered[0], check=False, aliasing=key[1]))
        except Unsupported:
            continue
    if len(set(sources)) < 2:
        return  # nothing to overlap
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=min(8, len(set(sources)))) as pool:
        for future in [pool.submit(cache.get_library, src, validate.check_source)
                       for src in dict.fromkeys(sources)]:
            future.result()


def _try_lower(node: Apply) -> tuple[Any, list[int]] | str:
    c_step = getattr(node.op, "c_step", None)  # an op with its own compiled call
    if c_step is not None:
        try:
            return _Stepper(c_step(node)), list(range(len(node.inputs)))
        except Unsupported as why:
            return f"{node.op} ({why})"
    lowered = lower_node(node)
    if lowered is None:
        return type(node.op).__name__
    kernel, loaded = lowered
    labels = [repr(node.inputs[i]) for i in loaded]
    inplace = _inplace(node, loaded)
    try:
        return kernel_runner(kernel, labels, str(node.op), inplace), loaded
    except Unsupported as why:
        return f"{node.op} ({why})"


class _Stepper:
    """Adapts an op's own compiled call (`op.c_step(node)`) to a runner's `call`."""

    def __init__(self, call: Any) -> None:
        self.call = call


def make_thunk(fgraph: FunctionGraph) -> Any:
    """A callable running `fgraph`: list of input arrays -> list of output arrays."""
    storage = Storage()
    slot = storage.slot
    input_slots = [slot(v) for v in fgraph.inputs]
    steps, fallbacks, fresh, runners = [], collections.Counter(), set(), []
    order = fgraph.toposort()
    prebuild(order)
    for node in order:
        outs = [slot(v) for v in node.outputs]
        lowered = _try_lower(node)
        if isinstance(lowered, str):
            fallbacks[lowered] += 1
            steps.append((node.op.perform, node, [slot(v) for v in node.inputs], outs, False))
        else:
            runner, loaded = lowered
            runners.append(runner)
            ins = [slot(node.inputs[i]) for i in loaded]
            steps.append((runner.call, node, ins, outs, True))
            if not node.op.destroy_map:
                fresh.update(outs)
    if fallbacks:
        log.info("C backend: %d node(s) run through numpy perform: %s",
                 sum(fallbacks.values()),
                 ", ".join(f"{k} x{v}" if v > 1 else k for k, v in fallbacks.items()))
    output_slots = [slot(v) for v in fgraph.outputs]
    fresh_outputs = tuple(s in fresh and s not in input_slots and output_slots.count(s) == 1
                          for s in output_slots)
    if (len(steps) == 1 and steps[0][4] and steps[0][2] == input_slots
            and steps[0][3] == output_slots):
        run = _direct(steps[0][0])
    else:
        run = interpret(storage.template, input_slots, steps, output_slots)
    fast_call = _fast_call_maker(steps, runners, input_slots, output_slots)
    if fast_call is not None:
        run.fast_call = fast_call  # type: ignore[attr-defined]
    run.fresh_outputs = fresh_outputs  # type: ignore[attr-defined]
    run.steps = steps  # type: ignore[attr-defined]
    return run


def _fast_call_maker(steps: list[tuple], runners: list[runtime.KernelRunner],
                     input_slots: list[int], output_slots: list[int]) -> Any | None:
    """When the graph is one 0-d kernel over some of its inputs (in any order) computing
    exactly its outputs: `make(fallback, kind, in_types, names, trusted)`, which makes the C
    trampoline a Function can use as its `__call__` (or None)."""
    if len(steps) != 1 or not steps[0][4] or steps[0][3] != output_slots:
        return None
    runner = runners[0]
    if not isinstance(runner, runtime.KernelRunner):  # an op's own call (RowBlock)
        return None
    if runner.kernel.ndim != 0 or runner.inplace or any(s not in input_slots
                                                        for s in steps[0][2]):
        return None
    order = tuple(input_slots.index(s) for s in steps[0][2])
    return functools.partial(_fast_call, runner, order)


def _fast_call(runner: runtime.KernelRunner, order: tuple[int, ...], fallback: Any, kind: str,
               in_types: list[Any], names: dict[str, int], trusted: bool) -> Any | None:
    """The C trampoline for a Function whose graph is the 0-d kernel of `runner`, taking
    every call it cannot do itself to `fallback` (None when there is no trampoline)."""
    return trampoline.scalar_call(runner.library, ENTRY, order, runner.in_dtypes,
                                  runner.out_dtypes, fallback, kind, in_types, names, trusted)


def _direct(call: Any) -> Any:
    def run(values: list[Any]) -> list[Any]:
        return call(values)
    run.call = call  # type: ignore[attr-defined]
    return run
