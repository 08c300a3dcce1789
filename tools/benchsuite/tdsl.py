"""tensordsl's columns, detected at run time: modes, backends, the @compile decorator.

Columns: FAST_COMPILE (the numpy reference backend), FAST_RUN (whatever backend it uses
now), one more column per other backend module present (c, opencl) run with FAST_RUN's
rewrites, and `@tensordsl.compile` when the frontend exists. A missing feature gives
NotApplicable cells, never a crash.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from benchsuite.cases import Factory, NotApplicable, Run, noted, stepper

DECORATOR = "tensordsl @compile"


@dataclass(frozen=True)
class Column:
    """One tensordsl column: a label and the mode it compiles with."""

    label: str
    mode: Any  # a tensordsl Mode, or None for the decorator


def _backend_present(name: str) -> bool:
    """Whether the backend `name` can run here (the registry's `available()`)."""
    from tensordsl.backends.registry import get_backend
    from tensordsl.errors import CompileError

    try:
        return get_backend(name).available()[0]
    except CompileError:
        return False


def symbolic_columns() -> list[Column]:
    """FAST_COMPILE, FAST_RUN, and FAST_RUN on each other backend that exists."""
    from tensordsl.runtime.mode import backend_name, get_mode

    fast_compile, fast_run = get_mode("FAST_COMPILE"), get_mode("FAST_RUN")
    run_backend = backend_name(fast_run)
    cols = [Column(f"tensordsl FAST_COMPILE ({fast_compile.backend})", fast_compile),
            Column(f"tensordsl FAST_RUN ({run_backend})", fast_run)]
    for backend in ("c", "opencl"):
        if backend != run_backend and _backend_present(backend):
            mode = replace(fast_run, name=f"FAST_RUN+{backend}", backend=backend)
            cols.append(Column(f"tensordsl FAST_RUN+{backend}", mode))
    return cols


def column_labels() -> list[str]:
    """Every tensordsl column label, in table order."""
    return [c.label for c in symbolic_columns()] + [DECORATOR]


def decorator() -> Callable[[Callable], Callable]:
    """`tensordsl.compile`, or NotApplicable when the frontend is not there yet."""
    import tensordsl

    try:
        compile_ = tensordsl.compile
    except (AttributeError, ImportError) as exc:
        raise NotApplicable(f"tensordsl.compile not available ({type(exc).__name__})") from None
    if not callable(compile_):
        raise NotApplicable("tensordsl.compile is not callable")
    return compile_


def grad() -> Callable | None:
    """`tensordsl.grad`, or None when autodiff is not there yet."""
    import tensordsl

    try:
        return tensordsl.grad
    except (AttributeError, ImportError):
        return None


def describe(fn: Any) -> str:
    """The compiled graph in a few words: node count and op kinds."""
    try:
        nodes = fn.maker.fgraph.toposort()
    except AttributeError:
        return ""
    kinds = Counter(type(node.op).__name__ for node in nodes)
    ops = ", ".join(f"{k}×{v}" if v > 1 else k for k, v in sorted(kinds.items()))
    return f"graph: {len(nodes)} node{'s' if len(nodes) != 1 else ''} ({ops})"


@dataclass
class Program:
    """A symbolic program: what to pass to tensordsl.function and how to call it."""

    inputs: list[Any]
    outputs: Any
    args: list[Any]
    updates: list[tuple[Any, Any]] | None = None
    note: str = ""  # shown under the table (e.g. how the gradient was built)

    def state(self) -> list[Any]:
        """The updated shared variables, in update order."""
        return [target for target, _ in self.updates or []]


def symbolic_factories(build: Callable[[dict[str, Any]], Program]) -> dict[str, Factory]:
    """One factory per symbolic column, each compiling `build(inputs)` with its mode."""
    return {col.label: _symbolic_factory(build, col.mode) for col in symbolic_columns()}


def _symbolic_factory(build: Callable[[dict[str, Any]], Program], mode: Any) -> Factory:
    def factory(inputs: dict[str, Any]) -> Run:
        import tensordsl

        prog = build(inputs)
        fn = tensordsl.function(prog.inputs, prog.outputs, updates=prog.updates, mode=mode)
        args, state = prog.args, prog.state()
        note = "; ".join(n for n in (prog.note, describe(fn)) if n)
        if not state:
            return noted(lambda: fn(*args), note)

        def run() -> tuple:
            out = fn(*args)
            out = list(out) if isinstance(out, (list, tuple)) else [out]
            return (*out, *[s.get_value(borrow=True) for s in state])

        return noted(run, note)

    return factory


def decorator_factory(pyfunc: Callable, arg_names: tuple[str, ...],
                      state_names: tuple[str, ...] = ()) -> Factory:
    """The `@tensordsl.compile` column: the numpy function itself, decorated."""

    def factory(inputs: dict[str, Any]) -> Run:
        compiled = decorator()(pyfunc)
        data = tuple(inputs[n] for n in arg_names)
        note = f"default target {getattr(compiled, 'target', '?')!r}"
        if state_names:
            return noted(stepper(compiled, data, tuple(inputs[n] for n in state_names)), note)
        return noted(lambda: compiled(*data), note)

    return factory


def all_factories(build: Callable[[dict[str, Any]], Program], pyfunc: Callable,
                  arg_names: tuple[str, ...], state_names: tuple[str, ...] = ()
                  ) -> dict[str, Factory]:
    """The symbolic columns plus the decorator column for one workload."""
    factories = symbolic_factories(build)
    factories[DECORATOR] = decorator_factory(pyfunc, arg_names, state_names)
    return factories
