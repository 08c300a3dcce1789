"""`assert_equivalent`: property-test a compiled function against its own Python.

For every target, hypothesis draws argument tuples (`inputs_for`), calls the plain
Python (the decorated function's own body, or the numpy `reference` given with a
`tensordsl.function`) and the function compiled for that target, and compares:
same shapes and dtypes, equal values for exact results, and for floats the accuracy
contract (tensordsl.accuracy): each element within N ulp of numpy's, where N sums the
ulp bounds of the transcendental ops of the compiled graph, or within that many
machine epsilons of the largest value the computation goes through (a norm-wise bound
that covers cancellation and reassociated sums). A failure is shrunk by hypothesis and
reported with the input shapes and dtypes, the worst element, its two values and its
error in ulp.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tensordsl import accuracy
from tensordsl.testing.strategies import inputs_for, signature_types

# ulp allowance for exact-only graphs whose float results may still be reassociated
# (sums, dot products: numpy sums pairwise, compiled code in its documented order).
REASSOCIATION_ULPS = 16


class NotEquivalent(AssertionError):
    """A compiled result differs from the Python reference beyond the tolerance."""


@dataclasses.dataclass(frozen=True)
class Tolerance:
    """How close a compiled result must be: `ulps` (elementwise and norm-wise, the
    accuracy contract), or numpy's allclose `rtol`/`atol` when either is given."""

    ulps: float
    rtol: float | None = None
    atol: float | None = None


def target_status(target: str) -> tuple[bool, str]:
    """(usable here?, reason when not) for a compile target (the backend registry's
    `available()`; an unknown or unloadable backend is not usable)."""
    from tensordsl.backends import registry
    from tensordsl.errors import CompileError

    try:
        return registry.get_backend(target).available()
    except (ValueError, CompileError) as err:
        return False, str(err).splitlines()[0]


def graph_ulps(fgraph: Any) -> int:
    """The ulp allowance of a rewritten graph: the sum of the accuracy contract's bound
    over every transcendental scalar op it applies (fused kernels included), at least
    REASSOCIATION_ULPS when it reduces or multiplies matrices."""
    from tensordsl.ops.elemwise import Elemwise
    from tensordsl.ops.fused import FusedElemwise

    total, reassociates = 0, False
    for node in fgraph.toposort():
        op = node.op
        names: list[str] = []
        if isinstance(op, FusedElemwise):
            names = [n.op.name for n in op.kernel.body if n.op is not None]
            reassociates = reassociates or bool(op.kernel.reduce_axes)
        elif isinstance(op, Elemwise):
            names = [op.scalar_op.name]
        else:
            kind = type(op).__name__.lower()
            reassociates = reassociates or any(k in kind for k in ("reduce", "dot", "gemm",
                                                                   "gemv", "rowblock", "scan"))
        total += sum(accuracy.ulp_bound(n) for n in names)
    return max(total, REASSOCIATION_ULPS if reassociates else 0)


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return [leaf for v in value for leaf in _leaves(v)]
    return [value]


def _describe(args: Sequence[Any]) -> str:
    return ", ".join(f"{np.dtype(np.asarray(a).dtype).name}{list(np.shape(a))}" for a in args)


def compare(got: Any, want: Any, tolerance: Tolerance, args: Sequence[Any],
            what: str, scale: float = 0.0) -> None:
    """Raise NotEquivalent unless `got` matches `want` (same structure, shapes, dtypes;
    values within `tolerance`). `scale`: the largest intermediate magnitude (the
    norm-wise bound is relative to it and to the largest result)."""
    got_leaves, want_leaves = _leaves(got), _leaves(want)
    inputs = _describe(args)
    if len(got_leaves) != len(want_leaves):
        raise NotEquivalent(f"{what}: {len(got_leaves)} outputs, the Python reference "
                            f"gives {len(want_leaves)} (inputs {inputs})")
    for k, (g, w) in enumerate(zip(got_leaves, want_leaves)):
        label = what if len(got_leaves) == 1 else f"{what}, output {k}"
        g_arr, w_arr = np.asarray(g), np.asarray(w)
        if g_arr.shape != w_arr.shape or g_arr.dtype != w_arr.dtype:
            raise NotEquivalent(f"{label}: got {g_arr.dtype.name}{list(g_arr.shape)}, the "
                                f"Python reference gives {w_arr.dtype.name}"
                                f"{list(w_arr.shape)} (inputs {inputs})")
        _compare_values(g_arr, w_arr, tolerance, inputs, label, scale)


def _compare_values(got: np.ndarray, want: np.ndarray, tol: Tolerance, inputs: str,
                    label: str, intermediate: float = 0.0) -> None:
    if got.size == 0:
        return
    inexact = got.dtype.kind in "fc"
    if not inexact:
        bad = got != want
        err = bad.astype("float64")
        if not bad.any():
            return
        why = "exact result differs"
    elif tol.rtol is not None or tol.atol is not None:
        rtol, atol = tol.rtol or 0.0, tol.atol or 0.0
        with np.errstate(all="ignore"):
            ok = np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
        if ok.all():
            return
        err = accuracy.ulp_distance(got.real, want.real)
        err = np.where(ok, 0.0, np.maximum(err, 1.0))
        why = f"beyond rtol={rtol:g}, atol={atol:g}"
    else:
        err = np.maximum(accuracy.ulp_distance(got.real, want.real),
                         accuracy.ulp_distance(got.imag, want.imag) if got.dtype.kind == "c"
                         else 0.0)
        finite = want[np.isfinite(want)]
        scale = max(float(np.max(np.abs(finite))) if finite.size else 0.0, intermediate)
        eps = float(np.finfo(got.dtype).eps)
        with np.errstate(all="ignore"):
            normwise = np.abs(got.astype(want.dtype) - want) <= tol.ulps * eps * scale
        ok = (err <= tol.ulps) | (normwise & np.isfinite(got))
        if ok.all():
            return
        err = np.where(ok, 0.0, err)
        why = f"beyond {tol.ulps:g} ulp (elementwise) and {tol.ulps:g} eps x the largest " \
              f"intermediate value (norm-wise)"
    index = np.unravel_index(int(np.argmax(err)), got.shape)
    where = f"[{', '.join(map(str, index))}]" if got.ndim else ""
    n_bad = int(np.count_nonzero(err))
    g_val, w_val = got[index], want[index]
    ulp = accuracy.ulp_distance(np.asarray(g_val), np.asarray(w_val)) if inexact else None
    ulp_text = f", error {float(ulp):.4g} ulp" if ulp is not None else ""
    raise NotEquivalent(f"{label}: {n_bad} of {got.size} elements {why}; worst at {where}: "
                        f"got {g_val!r}, Python gives {w_val!r}{ulp_text} "
                        f"(inputs {inputs}; result {got.dtype.name}{list(got.shape)})")


def _compiled_for(fn: Any, target: str, types: list[Any]) -> tuple[Callable, Any]:
    """(callable compiled for `target`, its rewritten FunctionGraph)."""
    from tensordsl.frontend import CompiledFunction
    from tensordsl.runtime.function import function

    if isinstance(fn, CompiledFunction):
        compiled = CompiledFunction(fn.py_func, target=target, signature=types,
                                    mode=fn._mode_arg, transform=fn._transform)
        return compiled, compiled.graph()
    if fn.shared_vars:  # updates and shared state cannot be rebuilt: test it as it is
        return fn, fn.maker.fgraph
    from tensordsl.frontend.dispatcher import target_mode

    mode = target_mode(target, fn.maker.mode.name if fn.maker.mode.name in
                       ("FAST_RUN", "FAST_COMPILE") else None)
    rebuilt = function([i.variable for i in fn.maker.inputs], fn.maker.outputs, mode=mode,
                       on_unused_input="ignore")
    return rebuilt, rebuilt.maker.fgraph


def intermediates(fn: Any, types: list[Any]) -> Callable | None:
    """A numpy-backend function returning every float value the un-rewritten graph of
    `fn` computes (their magnitude scales the norm-wise bound: cancellation in `a - b`
    is relative to |a| and |b|, not to the result), or None when it cannot be built."""
    from tensordsl.frontend import CompiledFunction
    from tensordsl.graph.basic import Constant, ancestors
    from tensordsl.runtime.function import function
    from tensordsl.runtime.mode import Mode

    try:
        if isinstance(fn, CompiledFunction):
            inputs = [t(f"a{i}") for i, t in enumerate(types)]
            outs = fn.symbolic(*inputs)
        else:
            inputs = [i.variable for i in fn.maker.inputs]
            outs = fn.maker.outputs
        leaves = _leaves(outs)
        values = [v for v in ancestors(leaves) if v.owner is not None and
                  not isinstance(v, Constant) and str(getattr(v, "dtype", "")).startswith(
                      ("float", "complex"))]
        if not values:
            return None
        return function(inputs, values, mode=Mode("NONE"), on_unused_input="ignore")
    except Exception:  # noqa: BLE001 - the bound then uses the results only
        return None


def _largest(values: Any) -> float:
    scale = 0.0
    for v in values:
        v = np.asarray(v)
        if v.size and v.dtype.kind in "fc":
            finite = np.abs(v[np.isfinite(v)])
            if finite.size:
                scale = max(scale, float(np.max(finite)))
    return scale


def _copy_args(args: Sequence[Any]) -> list[Any]:
    return [np.array(a, copy=True) if isinstance(a, np.ndarray) else a for a in args]


def check_example(compiled: Callable, reference: Callable, args: Sequence[Any],
                  tolerance: Tolerance, what: str, tracer: Callable | None = None) -> None:
    """One comparison: both raise, or both return equivalent values; inputs untouched.
    `tracer` (see `intermediates`) gives the values the norm-wise bound scales with."""
    originals = _copy_args(args)
    with np.errstate(all="ignore"):
        try:
            want = reference(*_copy_args(args))
        except Exception as err:  # noqa: BLE001 - the compiled call must fail too
            want_error = err
        else:
            want_error = None
        try:
            got = compiled(*args)
        except Exception as err:  # noqa: BLE001
            if want_error is None:
                raise NotEquivalent(f"{what}: raised {type(err).__name__}: {err} where the "
                                    f"Python reference returns a value (inputs "
                                    f"{_describe(args)})") from err
            return
    for k, (a, o) in enumerate(zip(args, originals)):
        if isinstance(a, np.ndarray) and not np.array_equal(a, o, equal_nan=True):
            raise NotEquivalent(f"{what}: argument {k} was modified by the call")
    if want_error is not None:
        raise NotEquivalent(f"{what}: returned a value where the Python reference raises "
                            f"{type(want_error).__name__}: {want_error} (inputs "
                            f"{_describe(args)})")
    scale = 0.0
    if tracer is not None:
        with np.errstate(all="ignore"):
            try:
                scale = _largest(tracer(*_copy_args(args)))
            except Exception:  # noqa: BLE001 - no scale: results only
                scale = 0.0
    compare(got, want, tolerance, args, what, scale)


def assert_equivalent(fn: Any, signature: Any = None,
                      targets: Sequence[str] = ("c", "opencl"), max_examples: int = 100,
                      rtol: float | None = None, atol: float | None = None, *,
                      reference: Callable | None = None, elements: Any = None,
                      inputs: st.SearchStrategy | None = None, ulps: float | None = None,
                      verbose: bool = True) -> dict[str, str]:
    """Property-test `fn` on each of `targets` against its own Python.

    `fn` is a `@tensordsl.compile` function (its reference: the undecorated Python) or a
    `tensordsl.function` (pass `reference=`, a numpy function of the same arguments).
    `signature` ("f8[:, :], f8[:]") defaults to the declared one. Tolerance: the
    accuracy contract (`ulps`: derived from the compiled graph unless given), or
    allclose when `rtol`/`atol` is given. `elements` (a hypothesis strategy of scalars)
    or `inputs` (a strategy of whole argument tuples) change what is drawn.

    Targets not available here are skipped, with the reason printed when `verbose`.
    Returns {target: "ok" | "skipped: reason"}; raises NotEquivalent (an
    AssertionError) with the shrunk failing example.
    """
    from tensordsl.frontend import CompiledFunction
    from tensordsl.runtime.function import Function

    if isinstance(targets, str):
        targets = (targets,)
    if isinstance(fn, CompiledFunction):
        reference = reference or fn.py_func
        name = fn.__qualname__
    elif isinstance(fn, Function):
        if reference is None:
            raise TypeError("assert_equivalent: a tensordsl.function needs `reference=`, a "
                            "numpy function computing the same outputs")
        name = fn.name or repr(fn)
    else:
        raise TypeError(f"assert_equivalent: expected a @tensordsl.compile function or a "
                        f"tensordsl.function, got {type(fn).__name__}")
    if max_examples < 1:
        raise ValueError(f"assert_equivalent: max_examples must be >= 1, got {max_examples}")
    types = signature_types(fn, signature)
    strategy = inputs if inputs is not None else inputs_for(fn, types, elements=elements)
    tracer = intermediates(fn, types) if rtol is None and atol is None else None
    report: dict[str, str] = {}
    for target in targets:
        usable, reason = target_status(target)
        if not usable:
            report[target] = f"skipped: {reason}"
            if verbose:
                print(f"assert_equivalent({name}): target {target!r} skipped: {reason}")
            continue
        compiled, fgraph = _compiled_for(fn, target, types)
        tol = Tolerance(graph_ulps(fgraph) if ulps is None else ulps, rtol, atol)
        what = f"{name} on target {target!r}"

        _run(compiled, reference, strategy, tol, what, max_examples, tracer)
        report[target] = "ok"
    return report


def _run(compiled: Callable, reference: Callable, strategy: st.SearchStrategy,
         tol: Tolerance, what: str, max_examples: int, tracer: Callable | None) -> None:
    """The hypothesis property over `strategy` for one target (shrinks a failure)."""

    @settings(max_examples=max_examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck), print_blob=False)
    @given(strategy)
    def run(args: tuple) -> None:
        check_example(compiled, reference, args, tol, what, tracer)

    run()


def equivalence_test(fn: Any, signature: Any = None, **options: Any) -> Callable[[], None]:
    """A pytest test function running `assert_equivalent(fn, signature, **options)`:
    `test_softmax = tensordsl.testing.equivalence_test(softmax, "f8[:, :]")`."""

    def test() -> None:
        assert_equivalent(fn, signature, **options)

    test.__name__ = f"test_{getattr(fn, '__name__', 'function')}_equivalent"
    test.__qualname__ = test.__name__
    return test
