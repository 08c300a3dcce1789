"""Theano's test values: `config.compute_test_value` evaluates each op as the graph is built.

With the flag not 'off', every `Op.__call__` runs the new node's numpy `perform` on the
test values of its inputs (a Constant's data, a shared variable's value, or what the
program stored in `x.tag.test_value`) and stores the results in the outputs'
`tag.test_value`, so a shape or dtype error shows at the line that builds the faulty
op, naming it. The flag says what happens when an input has no test value (Theano
1.0's documented rule): 'ignore' skips the op silently, 'warn' skips it with a
UserWarning, 'raise' raises a ValueError ("... has no test value"), 'pdb' opens the
post-mortem debugger on that error and then skips the op. An error of the computation
itself raises in every mode but 'off', as in Theano.

While `function` rewrites and compiles a graph the flag takes the value of
`config.compute_test_value_opt` (default 'off'), as Theano's FunctionMaker does.

`config.print_test_value` (Theano 1.0) makes `repr()` of a variable show its test value
on the line after its name (`repr_with_test_value`, used by `Variable.__repr__`).
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

import numpy as np

from tensordsl.config import config

__all__ = ["Scratchpad", "compute_test_values", "get_test_value", "has_test_value",
           "repr_with_test_value"]


class Scratchpad(dict):
    """A variable's `tag`: a dict whose keys are also attributes (`x.tag.test_value`).

    Assigning `test_value` converts the value with the variable's type, as Theano's
    ValidatingScratchpad does, so a value of the wrong dtype or number of dims is a
    TypeError at the assignment. Reading a missing attribute is an AttributeError, so
    `hasattr(x.tag, "test_value")` works as in Theano.
    """

    __slots__ = ("_owner",)

    def __init__(self, owner: Any = None, *args: Any) -> None:
        super().__init__(*args)
        object.__setattr__(self, "_owner", owner)

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"tag has no attribute {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "test_value":
            value = _validated(object.__getattribute__(self, "_owner"), value)
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(f"tag has no attribute {name!r}") from None

    def __reduce__(self) -> tuple:
        # pickles as a plain tag of the unpickled variable (the owner is not needed)
        return (Scratchpad, (None, dict(self)))


def _validated(var: Any, value: Any) -> Any:
    if var is None:
        return value
    return var.type.filter(value, name=f"test value of {var}")


def has_test_value(var: Any) -> bool:
    """Whether `var` has a test value (a constant and a shared variable always do)."""
    try:
        get_test_value(var)
    except AttributeError:
        return False
    return True


_MISSING = object()


def _lookup(var: Any) -> Any:
    """The test value of `var`, or _MISSING (no exception: repr() calls this)."""
    data = getattr(var, "data", None)
    if isinstance(data, np.ndarray) and not hasattr(var, "get_value"):
        return data
    if getattr(var, "is_shared", False):
        # the value ops compute with (a random state's words, not its Generator), on
        # the host (a value living on a device comes back)
        value = var.get_value(borrow=True, return_internal_type=True)
        return value if isinstance(value, np.ndarray) else var.get_value(borrow=True)
    tag = getattr(var, "tag", None)
    if tag is not None and "test_value" in tag:
        return tag["test_value"]
    return _MISSING


def get_test_value(var: Any) -> np.ndarray:
    """The test value of `var` (Theano's `Op._get_test_value` / `gof.op.get_test_value`):
    a Constant's data, a shared variable's value, else `var.tag.test_value`; an
    AttributeError "... has no test value" when there is none."""
    value = _lookup(var)
    if value is _MISSING:
        # str(), not repr(): repr() of a variable may ask for its test value
        raise AttributeError(f"{var} has no test value: set {var}.tag.test_value (an array "
                             f"of its type {var.type}) or use "
                             f"config.compute_test_value='off'")
    return value


def repr_with_test_value(var: Any) -> str:
    """Theano 1.0's `Variable.__repr__`: str(var), and when `config.print_test_value` is
    on and `var` has a test value, the repr of that value on the next line."""
    text = str(var)
    if config.print_test_value:
        value = _lookup(var)
        if value is not _MISSING:
            text += "\n" + var.__repr_test_value__()
    return text


def _user_stacklevel() -> int:
    """warnings.warn's stacklevel of the first frame outside tensordsl (the program)."""
    frame, level = sys._getframe(1), 1  # the caller of this function is stacklevel 1
    while frame is not None and frame.f_globals.get("__name__", "").startswith("tensordsl"):
        frame, level = frame.f_back, level + 1
    return level


def _input_values(node: Any, mode: str) -> list[np.ndarray] | None:
    """The test values of the node's inputs, or None when one is missing (and the mode
    says to skip the op)."""
    values = []
    for i, inp in enumerate(node.inputs):
        try:
            values.append(get_test_value(inp))
        except AttributeError as err:
            what = (f"Cannot compute test value: input {i} ({inp}) of Op {node!r} missing "
                    f"default value")
            if mode == "raise":
                raise ValueError(f"{what}. {err}") from None
            if mode == "warn":
                warnings.warn(f"Warning, {what}", UserWarning, stacklevel=_user_stacklevel())
            elif mode == "pdb":
                import pdb

                pdb.post_mortem(err.__traceback__)
            return None
    return values


def compute_test_values(node: Any) -> None:
    """Run `node.op.perform` on its inputs' test values and tag the outputs with the
    results, as `config.compute_test_value` says (nothing when it is 'off')."""
    mode = config.compute_test_value
    if mode == "off":
        return
    values = _input_values(node, mode)
    if values is None:
        return
    # an op that overwrites an input works on a copy: test values are never destroyed
    destroyed = {i for ins in node.op.destroy_map.values() for i in ins}
    values = [np.array(v, copy=True) if i in destroyed else v for i, v in enumerate(values)]
    try:
        results = node.op.perform(node, values)
    except Exception as err:
        shapes = ", ".join(f"{np.shape(v)} {np.asarray(v).dtype}" for v in values)
        _reraise(err, f"compute_test_value: {node.op} fails on the test values of its "
                      f"inputs ({shapes}): {err}")
    for out, value in zip(node.outputs, results):
        try:
            out.tag.test_value = out.type.filter(value, name=f"output of {node.op}",
                                                 allow_downcast=True)
        except (TypeError, ValueError) as err:
            _reraise(err, f"compute_test_value: {node.op} computes a value that does not "
                          f"fit its output type: {err}")


def _reraise(err: Exception, message: str) -> None:
    """Raise `err`'s type with `message` (naming the op), chained to `err`."""
    try:
        new = type(err)(message)
    except Exception:  # an exception type that takes other arguments: keep it, add a note
        err.add_note(message)
        raise err from None
    raise new from err


def fill_test_values(outputs: list) -> None:
    """Compute the missing test values of the nodes between `outputs` and their inputs.

    For graphs built by cloning (`clone_graph` re-makes nodes without `Op.__call__`),
    e.g. the gradients of inner graphs that rules build with test values off and then
    re-attach to the outer variables.
    """
    if config.compute_test_value == "off":
        return
    from tensordsl.graph.basic import toposort  # basic imports this module

    for node in toposort([o for o in outputs if o is not None]):
        if not all(has_test_value(out) for out in node.outputs):
            compute_test_values(node)


def test_values_off() -> Any:
    """A context in which no test value is computed (graph machinery building inner
    graphs over placeholders that have none)."""
    return config.change_flags(compute_test_value="off")
