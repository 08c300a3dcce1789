"""Function.copy(swap=..., delete_updates=...): Theano's copy, by recompiling the source
graph with the swapped shared variables substituted (as givens) and, unless deleted,
the updates retargeted to them."""

from __future__ import annotations

from typing import Any

from tensordsl.runtime.shared import SharedVariable


def copy_function(fn: Any, swap: dict | None, delete_updates: bool, name: str | None,
                  profile: Any) -> Any:
    """A recompiled copy of the Function `fn` (see Function.copy)."""
    from tensordsl.runtime.function import function

    if getattr(fn, "_source", None) is None:
        raise TypeError(f"copy(): {fn!r} was not made by tensordsl.function, so its source "
                        f"graph is unknown")
    source = dict(fn._source)
    swap = dict(swap or {})
    for old, new in swap.items():
        if not isinstance(old, SharedVariable) or not isinstance(new, SharedVariable):
            raise TypeError(f"copy(swap=...): keys and values must be shared variables, got "
                            f"{old!r} -> {new!r}")
        if old not in fn.shared_vars:
            raise ValueError(f"copy(swap=...): {old!r} is not a shared variable of this "
                             f"function (it uses: {', '.join(map(repr, fn.shared_vars))})")
        if old.type != new.type:
            raise TypeError(f"copy(swap=...): {old!r} of type {old.type} cannot be swapped "
                            f"for {new!r} of type {new.type}")
    givens = dict(source["givens"])
    givens.update(swap)
    updates = [] if delete_updates else [(swap.get(t, t), v) for t, v in source["updates"]]
    return function(source["inputs"], source["outputs"], mode=source["mode"],
                    updates=updates, givens=givens or None,
                    no_default_updates=source["no_default_updates"],
                    name=name if name is not None else (
                        None if fn.name is None else f"{fn.name} copy"),
                    allow_input_downcast=source["allow_input_downcast"], profile=profile,
                    # inputs only the deleted updates used are unused now
                    on_unused_input="ignore" if delete_updates else source["on_unused_input"],
                    trust_input=source["trust_input"])
