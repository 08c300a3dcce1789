"""TensorVariable and TensorConstant: graph variables with numpy-like operators.

Operators build graph nodes (`x + y` is an `Elemwise{add}` node). Like Theano, `==`
and `!=` keep Python's identity meaning (so variables work as dict keys): use `eq`/`neq`
for elementwise comparison.
"""

from __future__ import annotations

import warnings
from typing import Any

from tensordsl.config import config
from tensordsl.graph.basic import Constant, Variable
from tensordsl.graph.type import TensorType


def _m():  # the math module, imported late (it imports this module)
    from tensordsl.tensor import math

    return math


def _b():
    from tensordsl.tensor import basic

    return basic


_COMPARISONS = frozenset(["lt", "le", "gt", "ge", "eq", "neq"])


class TensorVariable(Variable):
    """A symbolic tensor."""

    __slots__ = ()
    __array_priority__ = 1000  # numpy arrays defer to our reflected operators

    def __init__(self, type: Any, owner: Any = None, index: int | None = None,
                 name: str | None = None) -> None:
        super().__init__(type, owner, index, name)
        if type.dtype == "float64" and config.warn_float64 != "ignore":
            _float64_created(self)

    # -- arithmetic ---------------------------------------------------------------------
    def __add__(self, other: Any) -> TensorVariable: return _m().add(self, other)
    def __radd__(self, other: Any) -> TensorVariable: return _m().add(other, self)
    def __sub__(self, other: Any) -> TensorVariable: return _m().sub(self, other)
    def __rsub__(self, other: Any) -> TensorVariable: return _m().sub(other, self)
    def __mul__(self, other: Any) -> TensorVariable: return _m().mul(self, other)
    def __rmul__(self, other: Any) -> TensorVariable: return _m().mul(other, self)
    def __truediv__(self, other: Any) -> TensorVariable: return _m().true_div(self, other)
    def __rtruediv__(self, other: Any) -> TensorVariable: return _m().true_div(other, self)
    def __floordiv__(self, other: Any) -> TensorVariable: return _m().int_div(self, other)
    def __rfloordiv__(self, other: Any) -> TensorVariable: return _m().int_div(other, self)
    def __mod__(self, other: Any) -> TensorVariable: return _m().mod(self, other)
    def __rmod__(self, other: Any) -> TensorVariable: return _m().mod(other, self)
    def __pow__(self, other: Any) -> TensorVariable: return _m().pow(self, other)
    def __rpow__(self, other: Any) -> TensorVariable: return _m().pow(other, self)
    def __matmul__(self, other: Any) -> TensorVariable: return _m().matmul(self, other)
    def __rmatmul__(self, other: Any) -> TensorVariable: return _m().matmul(other, self)
    def __neg__(self) -> TensorVariable: return _m().neg(self)
    def __pos__(self) -> TensorVariable: return self
    def __abs__(self) -> TensorVariable: return _m().abs(self)

    # -- comparisons and logic ----------------------------------------------------------
    def __lt__(self, other: Any) -> TensorVariable: return _m().lt(self, other)
    def __le__(self, other: Any) -> TensorVariable: return _m().le(self, other)
    def __gt__(self, other: Any) -> TensorVariable: return _m().gt(self, other)
    def __ge__(self, other: Any) -> TensorVariable: return _m().ge(self, other)
    def __and__(self, other: Any) -> TensorVariable: return _m().and_(self, other)
    def __rand__(self, other: Any) -> TensorVariable: return _m().and_(other, self)
    def __or__(self, other: Any) -> TensorVariable: return _m().or_(self, other)
    def __ror__(self, other: Any) -> TensorVariable: return _m().or_(other, self)
    def __xor__(self, other: Any) -> TensorVariable: return _m().xor(self, other)
    def __rxor__(self, other: Any) -> TensorVariable: return _m().xor(other, self)
    def __invert__(self) -> TensorVariable: return _m().invert(self)

    __hash__ = Variable.__hash__

    def __bool__(self) -> bool:
        """True, as in Theano 1.0 (`if W is given:` idioms write `if W:`), except for
        comparison results: `if x > 0:` or `a < b < c` would silently test nothing, so
        those raise."""
        owner = self.owner
        scalar_op = getattr(owner.op, "scalar_op", None) if owner is not None else None
        if getattr(scalar_op, "name", None) in _COMPARISONS:
            raise TypeError(f"the truth value of the symbolic comparison {self!r} is unknown "
                            f"until the function runs; use tensordsl.ifelse or T.switch "
                            f"instead of if (and write a < b < c as (a < b) & (b < c))")
        return True

    def __iter__(self):
        raise TypeError(f"{self!r} is symbolic and cannot be iterated; index it instead")

    def __len__(self) -> int:
        raise TypeError(f"len() of the symbolic {self!r} is unknown; use x.shape[0]")

    # -- indexing and shape -------------------------------------------------------------
    def __getitem__(self, index: Any) -> TensorVariable:
        from tensordsl.tensor.subtensor import getitem

        return getitem(self, index)

    @property
    def shape(self) -> TensorVariable:
        """The symbolic shape (an int64 vector)."""
        return _b().shape(self)

    @property
    def size(self) -> TensorVariable:
        """The symbolic number of elements."""
        return _m().prod(self.shape)

    @property
    def T(self) -> TensorVariable:
        """The transpose (dims reversed)."""
        return _b().transpose(self)

    def transpose(self, *axes: Any) -> TensorVariable:
        """Permute the dims (reverse them when no axes are given)."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _b().transpose(self, axes or None)

    def dimshuffle(self, *pattern: Any) -> TensorVariable:
        """Theano's dimshuffle: reorder dims, 'x' inserts a broadcastable dim."""
        if len(pattern) == 1 and isinstance(pattern[0], (tuple, list)):
            pattern = tuple(pattern[0])
        return _b().dimshuffle(self, pattern)

    def reshape(self, *shape: Any, ndim: int | None = None) -> TensorVariable:
        """Reshape to `shape` (a tuple, list or symbolic vector)."""
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = shape[0]
        return _b().reshape(self, shape, ndim=ndim)

    def flatten(self, ndim: int = 1) -> TensorVariable:
        """Collapse trailing dims so the result has `ndim` dims."""
        return _b().flatten(self, ndim)

    def astype(self, dtype: Any) -> TensorVariable:
        """Cast to `dtype`."""
        return _m().cast(self, dtype)

    def copy(self) -> TensorVariable:
        """An elementwise copy."""
        return _m().identity(self)

    def __tensordsl_variable__(self) -> TensorVariable:
        return self

    # -- reductions ---------------------------------------------------------------------
    def sum(self, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> TensorVariable:
        """Sum over `axis`."""
        return _m().sum(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def prod(self, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> TensorVariable:
        """Product over `axis`."""
        return _m().prod(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def mean(self, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> TensorVariable:
        """Mean over `axis`."""
        return _m().mean(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def var(self, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> TensorVariable:
        """Variance over `axis`."""
        return _m().var(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def std(self, axis: Any = None, ddof: int = 0, keepdims: bool = False) -> TensorVariable:
        """Standard deviation over `axis`."""
        return _m().std(self, axis=axis, ddof=ddof, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> TensorVariable:
        """Maximum over `axis`."""
        return _m().max(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> TensorVariable:
        """Minimum over `axis`."""
        return _m().min(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis: Any = None, keepdims: bool = False) -> TensorVariable:
        """Index of the maximum along `axis`."""
        return _m().argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis: Any = None, keepdims: bool = False) -> TensorVariable:
        """Index of the minimum along `axis`."""
        return _m().argmin(self, axis=axis, keepdims=keepdims)

    def all(self, axis: Any = None, keepdims: bool = False) -> TensorVariable:
        """True where all elements along `axis` are nonzero."""
        return _m().all(self, axis=axis, keepdims=keepdims)

    def any(self, axis: Any = None, keepdims: bool = False) -> TensorVariable:
        """True where any element along `axis` is nonzero."""
        return _m().any(self, axis=axis, keepdims=keepdims)

    def dot(self, other: Any) -> TensorVariable:
        """Matrix product with `other`."""
        return _m().dot(self, other)

    def clip(self, lo: Any, hi: Any) -> TensorVariable:
        """Clip values to [lo, hi]."""
        return _m().clip(self, lo, hi)

    def _repr_svg_(self) -> str | None:
        """The graph as SVG for Jupyter (None without a Graphviz renderer)."""
        from tensordsl.printing.dot import repr_svg

        return repr_svg(self)

    def eval(self, inputs_to_values: dict | None = None) -> Any:
        """Compile and run this variable with the given {input: value} (Theano's eval)."""
        from tensordsl.runtime.function import function

        inputs_to_values = inputs_to_values or {}
        fn = function(list(inputs_to_values), self, mode="FAST_COMPILE")
        return fn(*inputs_to_values.values())


class TensorConstant(TensorVariable, Constant):
    """A constant tensor."""

    __slots__ = ()

    def __init__(self, type: TensorType, data: Any, name: str | None = None) -> None:
        Constant.__init__(self, type, data, name=name)

    def clone(self) -> TensorConstant:
        """Constants are immutable: a clone shares the data."""
        return TensorConstant(self.type, self.data, name=self.name)

    __repr__ = Constant.__repr__
    __str__ = Constant.__str__


TensorType.variable_class = TensorVariable
TensorType.constant_class = TensorConstant


def _float64_created(var: TensorVariable) -> None:
    """Theano's config.warn_float64 for a new float64 variable: constants and shared
    variables are exempt (Theano's TensorConstant / TensorSharedVariable are not
    TensorVariables)."""
    if isinstance(var, Constant) or getattr(var, "is_shared", False):
        return
    from tensordsl.graph.test_value import _user_stacklevel

    action = config.warn_float64
    msg = ("You are creating a TensorVariable with float64 dtype. You requested an action "
           f"via the Theano flag warn_float64={{ignore,warn,raise,pdb}} (it is {action!r})")
    if action == "warn":
        warnings.warn(msg, UserWarning, stacklevel=_user_stacklevel())
    elif action == "raise":
        raise TypeError(msg)
    elif action == "pdb":  # pragma: no cover - interactive
        import pdb

        pdb.set_trace()
