"""Python index expressions -> Subtensor specs; set_subtensor / inc_subtensor."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.graph.basic import Variable
from tensordsl.graph.convert import as_tensor_variable, constant
from tensordsl.ops.subtensor import IncSubtensor, Subtensor
from tensordsl.tensor.variable import TensorVariable


def _index_var(value: Any) -> Variable:
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return constant(int(value), dtype="int64")
    var = as_tensor_variable(value)
    return var


def parse_index(x: Variable, index: Any) -> tuple[tuple, list[Variable], list[int]]:
    """(spec, index inputs, positions of newaxis in the result) for x[index]."""
    if not isinstance(index, tuple):
        index = (index,)
    n_real = sum(1 for i in index if i is not None and i is not Ellipsis)
    if sum(1 for i in index if i is Ellipsis) > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    expanded: list[Any] = []
    for item in index:
        if item is Ellipsis:
            expanded.extend([slice(None)] * (x.ndim - n_real))
        else:
            expanded.append(item)
    spec: list[Any] = []
    inputs: list[Variable] = []
    newaxes: list[int] = []
    out_dim = 0
    for item in expanded:
        if item is None:
            newaxes.append(out_dim)
            out_dim += 1
            continue
        if isinstance(item, slice):
            flags = []
            for bound in (item.start, item.stop, item.step):
                if bound is None:
                    flags.append(False)
                else:
                    flags.append(True)
                    inputs.append(_index_var(bound))
            spec.append(("s", *flags))
            out_dim += 1
            continue
        if isinstance(item, (list, np.ndarray)) or (
                isinstance(item, Variable) and item.ndim > 0) or isinstance(item, bool):
            var = as_tensor_variable(np.asarray(item) if not isinstance(item, Variable) else item)
            if not dtypes.is_discrete(var.dtype):
                raise IndexError(f"array indices must be integers or bools, got {var.dtype}")
            spec.append("a")
            inputs.append(var)
            out_dim += 1
            continue
        var = _index_var(item)
        if var.ndim != 0 or not dtypes.is_discrete(var.dtype):
            raise IndexError(f"index {item!r} is not an integer, slice, array or None")
        spec.append("i")
        inputs.append(var)
    if len(spec) > x.ndim:
        raise IndexError(f"too many indices for {x!r}: {len(spec)} indices for a {x.ndim}-d "
                         f"tensor")
    # trailing full slices are implicit; dropping them lets equal indexings merge
    while spec and spec[-1] == ("s", False, False, False):
        spec.pop()
    return tuple(spec), inputs, newaxes


def getitem(x: TensorVariable, index: Any) -> TensorVariable:
    """x[index] with numpy's rules (basic, integer-array, None, Ellipsis)."""
    spec, inputs, newaxes = parse_index(x, index)
    # x[:] and x[...] still make a (trivial) Subtensor node, so that set_subtensor(x[:], y)
    # updates x itself and never the tensor that x was indexed from.
    out = Subtensor(spec)(x, *inputs) if spec or not newaxes else x
    if newaxes:
        from tensordsl.tensor.basic import dimshuffle

        if "a" in spec:
            raise IndexError("None (newaxis) together with array indices is not supported")
        pattern: list[Any] = []
        it = iter(range(out.ndim))
        total = out.ndim + len(newaxes)
        for d in range(total):
            pattern.append("x" if d in newaxes else next(it))
        out = dimshuffle(out, pattern)
    return out


def _inc(x: Any, y: Any, index: Any, set_: bool) -> TensorVariable:
    x = as_tensor_variable(x)
    if index is None:
        # Theano's calling form set_subtensor(x[idx], y): recover x and the index.
        node = x.owner
        if node is None or not isinstance(node.op, Subtensor):
            raise TypeError(f"set_subtensor/inc_subtensor: the first argument must be an "
                            f"indexing expression x[...], got {x!r}")
        base, *inputs = node.inputs
        return IncSubtensor(node.op.spec, set_)(base, y, *inputs)
    spec, inputs, newaxes = parse_index(x, index)
    if newaxes:
        raise IndexError("None (newaxis) is not supported in set/inc_subtensor indices")
    return IncSubtensor(spec, set_)(x, y, *inputs)


def set_subtensor(x: Any, y: Any, index: Any = None) -> TensorVariable:
    """A copy of the indexed tensor with x[index] = y: `set_subtensor(x[1:], y)`."""
    return _inc(x, y, index, True)


def inc_subtensor(x: Any, y: Any, index: Any = None) -> TensorVariable:
    """A copy of the indexed tensor with x[index] += y: `inc_subtensor(x[1:], y)`."""
    return _inc(x, y, index, False)
