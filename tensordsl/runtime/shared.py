"""Shared variables: symbolic tensors with a value that persists across function calls."""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.graph.type import TensorType
from tensordsl.tensor.variable import TensorVariable


class SharedVariable(TensorVariable):
    """A variable whose value is stored with it and is an implicit input of functions.

    Its type comes from its initial value with every dim of unknown size (Theano's
    shared variables are never broadcastable), so `set_value` may change sizes but not
    the number of dims or the dtype.

    `default_update` (Theano's): an expression `function` uses as this variable's update
    when the graph uses the variable and no explicit update names it (random streams
    set it so that each call advances their state).
    """

    __slots__ = ("_value", "default_update")
    is_shared = True

    def __init__(self, type: TensorType, value: np.ndarray, name: str | None = None) -> None:
        super().__init__(type, name=name)
        self._value = value
        self.default_update: object | None = None

    def get_value(self, borrow: bool = False, return_internal_type: bool = False) -> np.ndarray:
        """The current value (a copy unless `borrow`)."""
        return self._value if borrow else self._value.copy()

    def set_value(self, value: Any, borrow: bool = False) -> None:
        """Replace the value; it must have the same ndim and a dtype that casts safely."""
        self._value = self._filter(value, borrow)

    def _filter(self, value: Any, borrow: bool) -> np.ndarray:
        label = f"shared variable {self.name or self.auto_name!r}"
        if isinstance(value, np.ndarray) and value.dtype.name != self.dtype and \
                not np.can_cast(value.dtype, self.dtype, "safe"):
            raise TypeError(f"{label} has dtype {self.dtype}; a {value.dtype} value cannot be "
                            f"stored without loss of precision; cast it to {self.dtype} first")
        array = self.type.filter(value, name=label)
        if array is value and not borrow:
            array = array.copy()
        return array

    def clone(self) -> SharedVariable:
        """Shared variables keep their identity in cloned graphs: clone returns self."""
        return self

    @property
    def container_value(self) -> np.ndarray:
        """The stored array itself (used by compiled functions)."""
        return self._value


def shared(value: Any, name: str | None = None, borrow: bool = False, strict: bool = False,
           allow_downcast: bool | None = None, broadcastable: tuple[bool, ...] | None = None
           ) -> SharedVariable:
    """A SharedVariable holding `value` (copied unless `borrow`)."""
    if isinstance(value, SharedVariable):
        raise TypeError("shared(): the value is already a shared variable")
    try:
        array = np.asarray(value)
    except ValueError as err:
        raise TypeError(f"shared(): cannot make an array from {value!r:.60}: {err}") from None
    if array.dtype.kind not in "biufc":
        raise TypeError(f"shared(): expected numeric data, got {type(value).__name__} "
                        f"{value!r:.60} (dtype {array.dtype})")
    dtype = dtypes.canonical(array.dtype)
    if broadcastable is None:
        shape: tuple[int | None, ...] = (None,) * array.ndim
    else:
        shape = tuple(1 if b else None for b in broadcastable)
    if not borrow or array is not value:
        array = np.array(array, copy=True)
    return SharedVariable(TensorType(dtype, shape), array, name=name)
