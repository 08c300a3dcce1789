"""`scan`: Theano's loop construct, building one Scan node.

`fn` is called once, symbolically, with (in order) one slice per sequence tap, one
state per recurrent-output tap, and the non-sequences themselves (as Theano passes
them). Everything the returned expressions compute without touching the slices or
states is hoisted out of the loop and computed once; the rest becomes the Scan's
inner graph. Shared variables updated by `fn` (it may return `(outputs, updates)`)
become extra recurrent states whose last value is the update.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from tensordsl.config import config
from tensordsl.graph.basic import Apply, Variable, ancestors, clone_graph
from tensordsl.graph.convert import as_tensor_variable, constant
from tensordsl.graph.test_value import compute_test_values, get_test_value, has_test_value
from tensordsl.graph.type import TensorType
from tensordsl.innergraph import depends_on, extract_inner
from tensordsl.scan.op import Scan, lag, span


@dataclass
class _Recurrent:
    """A recurrent output: its initial value, taps, and what error messages call it."""

    init: Variable
    taps: tuple[int, ...]
    label: str


def _seq_entries(sequences: Any) -> list[tuple[Variable, tuple[int, ...]]]:
    out = []
    for i, s in enumerate(_as_list(sequences)):
        taps: Any = (0,)
        if isinstance(s, Mapping):
            if "input" not in s:
                raise ValueError(f"scan: sequence {i} is a dict without 'input'")
            taps = s.get("taps", (0,)) or (0,)
            s = s["input"]
        var = as_tensor_variable(s)
        if var.ndim == 0:
            raise TypeError(f"scan: sequence {i} ({var!r}) is a scalar; sequences are iterated "
                            f"over their first dim")
        out.append((var, tuple(int(t) for t in taps)))
    return out


def _as_list(x: Any) -> list:
    if x is None:
        return []
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _output_entries(outputs_info: Any) -> list[_Recurrent | None] | None:
    if outputs_info is None:
        return None
    entries: list[_Recurrent | None] = []
    for k, info in enumerate(_as_list(outputs_info)):
        taps: Any = (-1,)
        if isinstance(info, Mapping):
            if info.get("initial") is None:
                entries.append(None)
                continue
            taps = info.get("taps", (-1,)) or (-1,)
            info = info["initial"]
        if info is None:
            entries.append(None)
            continue
        taps = tuple(int(t) for t in taps)
        if any(t >= 0 for t in taps):
            raise ValueError(f"scan: outputs_info[{k}] has taps {list(taps)}; taps of outputs "
                             f"must be negative (earlier steps)")
        init = as_tensor_variable(info)
        from tensordsl.gradient.core import describe

        entries.append(_Recurrent(init, taps, f"output {k} (initial state {describe(init)})"))
    return entries


class until:  # noqa: N801 (Theano's name)
    """Returned by a scan step (last, e.g. `return h, until(h > 10)`) to stop the loop
    after the step where `condition` (a scalar) is true: a while loop."""

    def __init__(self, condition: Any) -> None:
        self.condition = as_tensor_variable(condition)
        if self.condition.ndim != 0:
            raise TypeError(f"until: the condition {self.condition!r} must be a scalar, got "
                            f"{self.condition.type}")


def _split_until(result: Any) -> tuple[Any, Variable | None]:
    if isinstance(result, until):
        return [], result.condition
    if isinstance(result, tuple) and result and isinstance(result[-1], until):
        rest = result[:-1]
        return (rest[0] if len(rest) == 1 else rest), result[-1].condition
    return result, None


def _split_result(result: Any) -> tuple[list[Any], dict]:
    """Theano's rules: fn returns outputs, an updates dict, or a pair of both."""
    if isinstance(result, Mapping):
        return [], dict(result)
    if isinstance(result, tuple) and len(result) == 2:
        first, second = result
        if isinstance(second, Mapping):
            return _as_list(first), dict(second)
        if isinstance(first, Mapping):
            return _as_list(second), dict(first)
    return _as_list(result), {}


def _state_placeholder(rec: _Recurrent, tap: int) -> Variable:
    shape = rec.init.type.shape if rec.taps == (-1,) else rec.init.type.shape[1:]
    return TensorType(rec.init.dtype, shape)(f"{rec.init.name or 'state'}[t{tap:+d}]")


def _first_step_test_values(seqs: list, seq_args: list[Variable], recs: list[_Recurrent],
                            state_args: list[Variable]) -> None:
    """With config.compute_test_value on, the step's slices and states get the first
    step's values of their outer test values, as in Theano, so `fn` is checked too."""
    if config.compute_test_value == "off":
        return
    firsts = [(v, t - min(taps)) for v, taps in seqs for t in taps]
    for arg, (outer, row) in zip(seq_args, firsts):
        if has_test_value(outer) and row < len(get_test_value(outer)):
            arg.tag.test_value = get_test_value(outer)[row]
    states = [(r, t) for r in recs for t in r.taps]
    for arg, (rec, tap) in zip(state_args, states):
        if has_test_value(rec.init):
            value = get_test_value(rec.init)
            arg.tag.test_value = value if rec.taps == (-1,) else value[len(value) + tap]


def _check_output(out: Variable, rec: _Recurrent) -> None:
    state = rec.init.type if rec.taps == (-1,) else rec.init.type.clone(
        shape=rec.init.type.shape[1:])
    if out.dtype != state.dtype or out.ndim != state.ndim:
        raise TypeError(
            f"scan: {rec.label}: fn returns {out!r} of type {out.type} but the initial state "
            f"has type {state}; a recurrent output must keep the dtype and number of dims of "
            f"its initial state (cast one of them, e.g. with .astype({state.dtype!r}))")
    for d, (a, b) in enumerate(zip(out.type.shape, state.shape)):
        if a is not None and b is not None and a != b:
            raise ValueError(f"scan: {rec.label}: fn returns {out!r} with static shape "
                             f"{out.type.shape} but the initial state has shape {state.shape} "
                             f"(dim {d}); a recurrent output must keep its shape")


def _n_steps(n_steps: Any, seqs: list[tuple[Variable, tuple[int, ...]]]) -> Variable:
    from tensordsl.ops.subtensor import shape_i
    from tensordsl.tensor import math as tm

    if n_steps is not None:
        n = as_tensor_variable(n_steps)
        if n.ndim != 0 or not n.dtype.startswith(("int", "uint")):
            raise TypeError(f"scan: n_steps must be an integer scalar, got {n!r} ({n.type})")
        return tm.cast(n, "int64")
    if not seqs:
        raise ValueError("scan: without sequences, n_steps must be given (it cannot be "
                         "inferred)")
    lengths = [tm.sub(shape_i(v, 0), constant(span(t), dtype="int64")) if span(t) else
               shape_i(v, 0) for v, t in seqs]
    n = lengths[0]
    for other in lengths[1:]:
        n = tm.minimum(n, other)
    return n


def build_scan(fn: Callable[..., Any], sequences: Any = None, outputs_info: Any = None,
               non_sequences: Any = None, n_steps: Any = None, go_backwards: bool = False,
               name: str | None = None, strict: bool = False, truncate_gradient: int = -1
               ) -> tuple[Apply, list[Variable], list[int], OrderedDict]:
    """Build the Scan node: (node, user-facing outputs, recurrent lags per output
    (-1 for per-step outputs), updates)."""
    seqs = _seq_entries(sequences)
    if go_backwards:
        seqs = [(v[::-1], taps) for v, taps in seqs]
    entries = _output_entries(outputs_info)
    nonseqs = [as_tensor_variable(v) for v in _as_list(non_sequences)]
    seq_args = [TensorType(v.dtype, v.type.shape[1:])(f"{v.name or 'seq'}[t{t:+d}]")
                for v, taps in seqs for t in taps]
    recs = [e for e in (entries or []) if e is not None]
    state_args = [_state_placeholder(r, t) for r in recs for t in r.taps]
    _first_step_test_values(seqs, seq_args, recs, state_args)
    result, condition = _split_until(fn(*seq_args, *state_args, *nonseqs))
    outputs, updates = _split_result(result)
    outputs = [as_tensor_variable(o) for o in outputs]
    updates = _with_default_updates(outputs + ([condition] if condition is not None else []),
                                    updates)
    entries = _match_outputs(outputs, entries, recs)
    upd_recs, upd_args, upd_outs = _update_states(updates)
    nit_outs = [o for o, e in zip(outputs, entries) if e is None]
    inner_outs = [o for o, e in zip(outputs, entries) if e is not None] + upd_outs + \
        nit_outs + ([condition] if condition is not None else [])
    if upd_args:  # inside the loop, an updated shared variable reads its running state
        memo = clone_graph(inner_outs, replace=dict(zip(updates, upd_args)))
        inner_outs = [memo.get(o, o) for o in inner_outs]
    all_args = seq_args + state_args + upd_args
    inner_deps = depends_on(inner_outs, all_args)
    inner, hoisted = extract_inner(inner_outs, all_args, lambda v: id(v) not in inner_deps)
    if strict:
        _check_strict(hoisted, nonseqs)
    all_recs = recs + upd_recs
    labels = [r.label for r in all_recs] + [f"output {i}" for i, e in enumerate(entries)
                                            if e is None]
    op = Scan(inner, tuple(taps for _, taps in seqs), tuple(r.taps for r in all_recs),
              len(nit_outs), len(hoisted), name, tuple(labels), int(truncate_gradient),
              as_while=condition is not None)
    inits = [r.init.dimshuffle("x", *range(r.init.ndim)) if r.taps == (-1,) else r.init
             for r in all_recs]
    node = op.make_node(_n_steps(n_steps, seqs), *[v for v, _ in seqs], *inits, *hoisted)
    compute_test_values(node)  # Theano's config.compute_test_value (no-op when 'off')
    return _user_outputs(node, recs, entries, list(updates))


def _with_default_updates(outputs: list[Variable], updates: dict) -> dict:
    """`updates` plus the `default_update` of every shared variable the step reads (a
    random stream's state), so each step draws new values and the loop returns the
    final states as updates, as Theano's scan does."""
    updates = dict(updates)
    while True:
        roots = list(outputs) + [as_tensor_variable(v) for v in updates.values()]
        new = [v for v in ancestors(roots) if v.owner is None and v not in updates
               and getattr(v, "default_update", None) is not None]
        if not new:
            return updates
        for v in new:
            updates[v] = v.default_update


def _match_outputs(outputs: list[Variable], entries: list | None, recs: list[_Recurrent]
                   ) -> list:
    """outputs_info entries per output (all None when not given), checked against fn."""
    if entries is None:
        entries = [None] * len(outputs)
    if len(outputs) != len(entries):
        raise ValueError(f"scan: fn returned {len(outputs)} outputs but outputs_info has "
                         f"{len(entries)} entries")
    for out, rec in zip([o for o, e in zip(outputs, entries) if e is not None], recs):
        _check_output(out, rec)
    return entries


def _update_states(updates: dict
                   ) -> tuple[list[_Recurrent], list[Variable], list[Variable]]:
    """Shared variables updated inside fn become recurrent states (tap -1)."""
    recs, args, outs = [], [], []
    for target, value in updates.items():
        if not getattr(target, "is_shared", False):
            raise TypeError(f"scan: fn updates {target!r}, which is not a shared variable")
        value = as_tensor_variable(value)
        if value.dtype != target.dtype or value.ndim != target.ndim:
            raise TypeError(f"scan: the update of {target!r} has type {value.type} but the "
                            f"shared variable has {target.type}")
        recs.append(_Recurrent(target, (-1,), f"the update of {target!r}"))
        args.append(target.type(f"{target.name or 'shared'}[t-1]"))
        outs.append(value)
    return recs, args, outs


def _check_strict(hoisted: list[Variable], nonseqs: list[Variable]) -> None:
    allowed = {id(v) for v in nonseqs}
    for v in hoisted:
        if v.owner is None and id(v) not in allowed and not getattr(v, "is_shared", False):
            raise ValueError(f"scan(strict=True): fn uses {v!r}, which is not among "
                             f"non_sequences")


def _user_outputs(node: Apply, recs: list[_Recurrent], entries: list, upd_targets: list
                  ) -> tuple[Apply, list[Variable], list[int], OrderedDict]:
    n_rec = len(recs)
    rec_iter = iter(range(n_rec))
    nit_iter = iter(range(n_rec + len(upd_targets), n_rec + len(upd_targets) + node.op.n_nit))
    outs: list[Variable] = []
    lags: list[int] = []
    for e in entries:
        if e is None:
            outs.append(node.outputs[next(nit_iter)])
            lags.append(-1)
        else:
            k = next(rec_iter)
            outs.append(node.outputs[k][lag(e.taps):])
            lags.append(lag(e.taps))
    updates: OrderedDict = OrderedDict()
    for i, target in enumerate(upd_targets):
        updates[target] = node.outputs[n_rec + i][-1]
    return node, outs, lags, updates


def scan(fn: Callable[..., Any], sequences: Any = None, outputs_info: Any = None,
         non_sequences: Any = None, n_steps: Any = None, truncate_gradient: int = -1,
         go_backwards: bool = False, mode: Any = None, name: str | None = None,
         profile: Any = False, allow_gc: Any = None, strict: bool = False,
         return_list: bool = False) -> tuple[Any, OrderedDict]:
    """Theano's scan: loop `fn` over sequences / recurrent states; returns (outputs, updates).

    `sequences`: variables (or dict(input=x, taps=[-1, 0])) iterated over their first
    dim; `outputs_info`: per output, an initial state (taps [-1]), dict(initial=x0,
    taps=[-2, -1]), or None for an output that is not fed back; `non_sequences`:
    passed to every step unchanged. Outputs have one row per step (initial states are
    not included). `updates` maps shared variables updated by fn to their final value.
    `truncate_gradient=k` backpropagates through the last k steps only.
    """
    if truncate_gradient != -1 and int(truncate_gradient) < 1:
        raise ValueError(f"scan: truncate_gradient must be -1 (full backpropagation through "
                         f"time) or a number of steps >= 1, got {truncate_gradient!r}")
    node, outs, _, updates = build_scan(fn, sequences, outputs_info, non_sequences, n_steps,
                                        go_backwards, name, strict, truncate_gradient)
    if len(outs) == 1 and not return_list:
        return outs[0], updates
    return outs, updates
