"""TensorType: the static type of a symbolic tensor (dtype and per-dim static sizes).

A dim is either a static size (an int) or None (unknown until run time). Broadcastability
follows from the static size: a dim of static size 1 broadcasts, as in Theano.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.config import config

_NAMED_BROADCASTABLE = {(): "scalar", (False,): "vector", (False, True): "col",
                        (True, False): "row", (False, False): "matrix"}


class TensorType:
    """Type of a tensor: `TensorType("float64", (None, 1))` is a column of float64."""

    __slots__ = ("dtype", "shape", "_hash")
    variable_class: Any = None  # set by tensordsl.tensor.variable (it owns the operators)
    constant_class: Any = None

    def __init__(self, dtype: Any, shape: tuple[int | None, ...] = (),
                 broadcastable: tuple[bool, ...] | None = None) -> None:
        self.dtype = dtypes.canonical(dtype)
        if broadcastable is not None:
            if shape != ():
                raise TypeError("TensorType: give shape or broadcastable, not both")
            shape = tuple(bool(b) for b in broadcastable)
        # Theano's TensorType(dtype, broadcastable): a bool entry marks a broadcastable
        # (size 1, True) or unknown-size (False) dim, never a size of 1 or 0
        shape = tuple(None if s is None or s is False or s is np.False_ else
                      1 if s is True or s is np.True_ else int(s) for s in shape)
        if any(s is not None and s < 0 for s in shape):
            raise ValueError(f"static sizes must be >= 0 or None, got shape {shape}")
        self.shape = shape
        self._hash = hash((self.dtype, self.shape))

    @classmethod
    def from_broadcastable(cls, dtype: Any, broadcastable: tuple[bool, ...]) -> TensorType:
        """Theano's spelling: True marks a broadcastable (size-1) dim."""
        return cls(dtype, tuple(1 if b else None for b in broadcastable))

    @property
    def ndim(self) -> int:
        """Number of dimensions."""
        return len(self.shape)

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        """Per dim, whether its static size is 1."""
        return tuple(s == 1 for s in self.shape)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TensorType) and self.dtype == other.dtype
                and self.shape == other.shape)

    def __hash__(self) -> int:
        return self._hash

    def __repr__(self) -> str:
        # Theano 1.0's spelling when the type only says which dims broadcast
        # (TensorType(float64, matrix), TensorType(float32, 3D)); exact sizes otherwise
        if any(s not in (None, 1) for s in self.shape):
            return f"TensorType({self.dtype}, shape={self.shape})"
        b = self.broadcastable
        kind = _NAMED_BROADCASTABLE.get(b) or (str(b) if any(b) else f"{len(b)}D")
        return f"TensorType({self.dtype}, {kind})"

    def __str__(self) -> str:
        dims = ", ".join("?" if s is None else str(s) for s in self.shape)
        return f"Tensor[{self.dtype}]({dims})" if self.shape else f"Scalar[{self.dtype}]"

    def clone(self, dtype: Any = None, shape: tuple[int | None, ...] | None = None) -> TensorType:
        """A copy with the dtype and/or shape replaced."""
        return TensorType(self.dtype if dtype is None else dtype,
                          self.shape if shape is None else shape)

    def __call__(self, name: str | None = None) -> Any:
        """A fresh variable of this type (Theano's `TensorType(...)(name)`)."""
        return self.make_variable(name)

    def make_variable(self, name: str | None = None) -> Any:
        """A fresh, ownerless variable of this type."""
        return self.variable_class(self, name=name)

    def is_super(self, other: TensorType) -> bool:
        """True if every value of `other` is also a value of this type."""
        return (self.dtype == other.dtype and self.ndim == other.ndim
                and all(s is None or s == o for s, o in zip(self.shape, other.shape)))

    def filter(self, value: Any, name: str = "input", allow_downcast: bool | None = None
               ) -> np.ndarray:
        """Convert `value` to an ndarray of this type, or raise an error naming `name`.

        Theano's rules: an ndarray must upcast safely to the dtype unless
        `allow_downcast`; Python numbers and lists are converted when the conversion
        is exact, and Python floats may always go into a float type.
        """
        # a byte-swapped array is converted to native order, as Theano's filter does
        if isinstance(value, np.ndarray) and value.dtype.name == self.dtype \
                and value.dtype.isnative:
            array = value
        else:
            array = self._convert(value, name, allow_downcast)
        if array.ndim != self.ndim:
            raise TypeError(
                f"{name}: expected a {self.ndim}-d array ({self}), got a {array.ndim}-d "
                f"value of shape {array.shape}")
        for axis, (static, actual) in enumerate(zip(self.shape, array.shape)):
            if static is not None and static != actual:
                # a broadcastable (size-1) dim is part of the type, as in Theano, whose
                # TypeError this is; other static sizes are a shape (value) mismatch
                error = TypeError if static == 1 else ValueError
                raise error(
                    f"{name}: dim {axis} must have size {static} ({self}), got shape "
                    f"{array.shape}")
        return array

    def _convert(self, value: Any, name: str, allow_downcast: bool | None) -> np.ndarray:
        if isinstance(value, np.ndarray) or isinstance(value, np.generic):
            source = np.asarray(value)
            if source.dtype.kind not in "biufc":
                raise TypeError(f"{name}: expected numeric data of dtype {self.dtype}, got "
                                f"an array of dtype {source.dtype}")
            if allow_downcast or np.can_cast(source.dtype, self.dtype, "safe"):
                return _quiet_astype(source, self.dtype)
            raise TypeError(
                f"{name}: {self} cannot hold a {source.dtype} value without risking loss "
                f"of precision; cast it to {self.dtype} first or pass "
                f"allow_input_downcast=True to function()")
        try:
            source = np.asarray(value)
        except ValueError as err:  # ragged nested lists
            raise TypeError(f"{name}: expected numeric data, got {_short(value)} ({err})") \
                from None
        if source.dtype.kind not in "biufc":
            raise TypeError(f"{name}: expected numeric data of dtype {self.dtype}, got "
                            f"{_short(value)}")
        if source.dtype.kind == "c" and not dtypes.is_complex(self.dtype) and not allow_downcast:
            raise TypeError(f"{name}: {self} cannot hold the complex value {_short(value)}")
        converted = _quiet_astype(source, self.dtype)
        if allow_downcast or (source.dtype.kind == "f" and dtypes.is_float(self.dtype)):
            return converted
        if _same_values(source, converted):
            return converted
        raise TypeError(
            f"{name}: {self} cannot hold {_short(value)} exactly (it would become "
            f"{_short(converted)}); convert it to {self.dtype} yourself or pass "
            f"allow_input_downcast=True to function()")


def _quiet_astype(array: np.ndarray, dtype: str) -> np.ndarray:
    """astype without numpy's warnings (NaN -> int, complex -> real): callers check values."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        return array.astype(dtype)


def _same_values(a: np.ndarray, b: np.ndarray) -> bool:
    with np.errstate(invalid="ignore"):
        return bool(np.all((a == b) | ((a != a) & (b != b))))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:75] + "(...)"


def floatX_type(shape: tuple[int | None, ...] = ()) -> TensorType:
    """A TensorType of the current floatX."""
    return TensorType(config.floatX, shape)
