"""Theano's older random API, `RandomStreams`, on numpy Generators.

Each random variable gets its own generator state in a shared variable
(`RandomStateSharedVariable`; `get_value` gives a `numpy.random.Generator`, `set_value`
takes one) whose `default_update` is the state after sampling, so every call of a
compiled function draws new values. The per-variable generators are seeded, in the
order the variables are made, from a seed generator built from the streams' seed, as
Theano seeds its RandomStates (the values differ from Theano's: numpy's Generator is not
the legacy RandomState).

The sampling op (`RandomFunction`) runs the Generator method in its numpy `perform` on
every backend. Inside the graph the state is a uint64 vector: PCG64's 128-bit state and
increment as (high, low) words, then `has_uint32` and `uinteger`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.config import config
from tensordsl.gradient.core import NotImplementedGrad, register_connection, register_grad
from tensordsl.graph.basic import Apply, Op, Variable
from tensordsl.graph.convert import as_tensor_variable, constant
from tensordsl.graph.type import TensorType
from tensordsl.ops.subtensor import shape_i
from tensordsl.random_ops import (
    run_time_shape,
    shape_entries,
    size_vector,
    static_sizes,
    vector_length,
)
from tensordsl.runtime.shared import SharedVariable

_WORD = (1 << 64) - 1
STATE_TYPE = TensorType("uint64", (6,))


def encode_state(generator: np.random.Generator) -> np.ndarray:
    """The uint64[6] state vector of a PCG64 Generator."""
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"expected a numpy.random.Generator (e.g. numpy.random.default_rng("
                        f"seed)), got {type(generator).__name__}")
    state = generator.bit_generator.state
    if state.get("bit_generator") != "PCG64":
        raise TypeError(f"only PCG64 Generators (numpy.random.default_rng) can be stored, got "
                        f"a {state.get('bit_generator')} one")
    s, inc = state["state"]["state"], state["state"]["inc"]
    words = [s >> 64, s & _WORD, inc >> 64, inc & _WORD, state["has_uint32"],
             state["uinteger"]]
    return np.array(words, dtype="uint64")


def decode_state(words: np.ndarray) -> np.random.Generator:
    """A new Generator in the state held by a uint64[6] state vector."""
    w = [int(v) for v in np.asarray(words, dtype="uint64").reshape(6)]
    bit_generator = np.random.PCG64(0)  # a fixed seed: no OS entropy is read
    bit_generator.state = {"bit_generator": "PCG64",
                           "state": {"state": (w[0] << 64) | w[1], "inc": (w[2] << 64) | w[3]},
                           "has_uint32": w[4], "uinteger": w[5]}
    return np.random.Generator(bit_generator)


class RandomStateSharedVariable(SharedVariable):
    """A shared generator state: `get_value()` returns a numpy Generator (a copy:
    drawing from it does not change the stored state), `set_value(generator)` stores
    one's state."""

    __slots__ = ()

    def get_value(self, borrow: bool = False, return_internal_type: bool = False) -> Any:
        """The state as a numpy Generator (the uint64 words if `return_internal_type`)."""
        if return_internal_type:
            return self._value if borrow else self._value.copy()
        return decode_state(self._value)

    def set_value(self, value: Any, borrow: bool = False) -> None:
        """Store the state of the Generator `value` (or a uint64[6] state vector)."""
        if isinstance(value, np.ndarray):
            self._value = self._filter(value, borrow)
            return
        if isinstance(value, np.random.RandomState):
            raise TypeError(f"{self.name or 'the random state'}: a legacy numpy RandomState "
                            f"cannot be stored; pass numpy.random.default_rng(seed)")
        self._value = encode_state(value)


def shared_generator(generator: np.random.Generator, name: str | None = None
                     ) -> RandomStateSharedVariable:
    """A shared variable holding the state of `generator` (a copy of it)."""
    return RandomStateSharedVariable(STATE_TYPE, encode_state(generator), name=name)


# method name -> (number of parameters, whether the sample has an extra last dim)
_METHODS = {
    "uniform": (2, False), "normal": (2, False), "binomial": (2, False),
    "random_integers": (2, False), "poisson": (1, False), "choice": (2, False),
    "permutation": (1, True), "multinomial": (2, True),
}


class RandomFunction(Op):
    """(state, size, *params) -> (new state, sample): one numpy Generator method.

    `has_size` False means numpy's size=None (the parameters' broadcast shape);
    `replace` is choice's; a choice with p=None has one parameter."""

    __props__ = ("fn", "dtype", "ndim", "has_size", "replace")

    def __init__(self, fn: str, dtype: str, ndim: int, has_size: bool = True,
                 replace: bool = True) -> None:
        if fn not in _METHODS:
            raise ValueError(f"RandomFunction: unknown method {fn!r}; known: "
                             f"{', '.join(sorted(_METHODS))}")
        self.fn, self.dtype, self.ndim = fn, dtypes.canonical(dtype), int(ndim)
        self.has_size, self.replace = bool(has_size), bool(replace)

    def make_node(self, state: Any, size: Any, *params: Any) -> Apply:
        state = as_tensor_variable(state)
        if state.type.dtype != "uint64" or state.ndim != 1:
            raise TypeError(f"RandomFunction: the state must be a uint64 vector (a "
                            f"RandomStateSharedVariable), got {state!r} ({state.type})")
        size = as_tensor_variable(size)
        params = [as_tensor_variable(p) for p in params]
        n_size = self.ndim - (1 if _METHODS[self.fn][1] else 0)
        static = static_sizes(size, n_size) if self.has_size else (None,) * n_size
        static += (None,) * (self.ndim - len(static))
        sample = TensorType(self.dtype, static)()
        return Apply(self, [state, size, *params], [state.type(), sample])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        state, size, *params = inputs
        generator = decode_state(state)
        shape = None
        if self.has_size:
            n_size = self.ndim - (1 if _METHODS[self.fn][1] else 0)
            shape = run_time_shape(size, n_size, f"RandomStreams.{self.fn}")
        sample = _draw(generator, self.fn, shape, params, self.replace)
        sample = np.asarray(sample).astype(self.dtype, copy=False)
        if sample.ndim != self.ndim:
            raise ValueError(f"RandomStreams.{self.fn}: the sample has {sample.ndim} dims "
                             f"(shape {sample.shape}) but the variable has {self.ndim}; "
                             f"pass size= or ndim= to match")
        return [encode_state(generator), sample]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        size = node.inputs[1]
        if self.has_size and not _METHODS[self.fn][1]:
            return [input_shapes[0], shape_entries(size, self.ndim)]
        out = node.outputs[1]
        return [input_shapes[0], tuple(shape_i(out, i) for i in range(self.ndim))]


# The state and size carry no gradient; a parameter's gradient is undefined (raises),
# as Theano's raw_random defines it.
register_connection(RandomFunction,
                    lambda node: [False, False] + [True] * (len(node.inputs) - 2))


@register_grad(RandomFunction)
def _random_function_grad(node: Apply, out_grads: list) -> list:
    undefined = NotImplementedGrad("no gradient is defined through a random sampling op")
    return [None, None] + [undefined] * (len(node.inputs) - 2)


def _draw(g: np.random.Generator, fn: str, shape: tuple | None, params: list,
          replace: bool) -> Any:
    if fn == "uniform":
        return g.uniform(params[0], params[1], shape)
    if fn == "normal":
        return g.normal(params[0], params[1], shape)
    if fn == "binomial":
        return g.binomial(params[0], params[1], shape)
    if fn == "random_integers":
        return g.integers(params[0], params[1], shape, endpoint=True)
    if fn == "poisson":
        return g.poisson(params[0], shape)
    if fn == "choice":
        a = params[0].item() if params[0].ndim == 0 else params[0]
        p = params[1] if len(params) > 1 else None
        return g.choice(a, shape, replace=replace, p=p)
    if fn == "permutation":
        n = int(params[0])
        if not shape:
            return g.permutation(n)
        return g.permuted(np.broadcast_to(np.arange(n), (*shape, n)), axis=-1)
    return g.multinomial(params[0], params[1], shape)  # multinomial


class RandomStreams:
    """Theano's RandomStreams: numpy-like sampling methods whose random variables each
    own a shared Generator state with a default update.

    `state_updates` lists (state, new state) per variable; `seed(s)` re-seeds them all
    as a fresh RandomStreams(s) would; `streams[state]` is the state's Generator."""

    def __init__(self, seed: int | None = None) -> None:
        self.state_updates: list[tuple[RandomStateSharedVariable, Variable]] = []
        self.default_instance_seed = seed
        self.gen_seedgen = np.random.default_rng(seed)

    def updates(self) -> list[tuple[RandomStateSharedVariable, Variable]]:
        """The (state, new state) pairs of every variable made so far."""
        return list(self.state_updates)

    def seed(self, seed: int | None = None) -> None:
        """Re-seed every variable made so far (with the constructor's seed when None)."""
        if seed is None:
            seed = self.default_instance_seed
        seedgen = np.random.default_rng(seed)
        for old_r, _ in self.state_updates:
            old_r.set_value(np.random.default_rng(int(seedgen.integers(2 ** 30))))

    def __getitem__(self, item: RandomStateSharedVariable) -> np.random.Generator:
        return item.get_value(borrow=True)

    def __setitem__(self, item: RandomStateSharedVariable, value: np.random.Generator
                    ) -> None:
        item.set_value(value, borrow=True)

    def gen(self, op: RandomFunction, size: Variable, *params: Any) -> Variable:
        """A random variable drawn by `op` from a new shared Generator state."""
        state = shared_generator(np.random.default_rng(int(self.gen_seedgen.integers(2 ** 30))))
        state.tag["is_rng"] = True
        new_state, sample = op(state, size, *params)
        sample.tag["rng"] = state
        sample.tag["update"] = (state, new_state)
        self.state_updates.append((state, new_state))
        state.default_update = new_state
        return sample

    # -- distributions ---------------------------------------------------------------

    def _size(self, size: Any, ndim: int | None, params: list[Variable], who: str
              ) -> tuple[Variable, int, bool]:
        """(size vector, sample ndim, has_size) for an elementwise distribution: no size
        means numpy's size=None (the parameters' broadcast shape)."""
        if size is None:
            n = max([p.ndim for p in params], default=0)
            if ndim is not None and ndim != n:
                raise ValueError(f"RandomStreams.{who}: ndim={ndim} but the parameters "
                                 f"broadcast to {n} dims; pass size=")
            return constant(np.zeros(0, dtype="int64")), n, False
        vec = size_vector(size, f"RandomStreams.{who}", min_size=0)
        return vec, vector_length(vec, ndim, f"RandomStreams.{who}"), True

    def _elementwise(self, fn: str, size: Any, ndim: int | None, dtype: str,
                     params: list[Any]) -> Variable:
        params = [as_tensor_variable(p) for p in params]
        vec, n, has_size = self._size(size, ndim, params, fn)
        return self.gen(RandomFunction(fn, dtype, n, has_size), vec, *params)

    def uniform(self, size: Any = None, low: Any = 0.0, high: Any = 1.0,
                ndim: int | None = None, dtype: Any = None) -> Variable:
        """Samples uniform in [low, high) (at least floatX precision unless dtype)."""
        low, high = as_tensor_variable(low), as_tensor_variable(high)
        dtype = _float_dtype(dtype, "uniform", low, high)
        return self._elementwise("uniform", size, ndim, dtype, [low, high])

    def normal(self, size: Any = None, avg: Any = 0.0, std: Any = 1.0,
               ndim: int | None = None, dtype: Any = None) -> Variable:
        """Normal samples of mean avg and standard deviation std."""
        avg, std = as_tensor_variable(avg), as_tensor_variable(std)
        dtype = _float_dtype(dtype, "normal", avg, std)
        return self._elementwise("normal", size, ndim, dtype, [avg, std])

    def binomial(self, size: Any = None, n: Any = 1, p: Any = 0.5, ndim: int | None = None,
                 dtype: Any = "int64", prob: Any = None) -> Variable:
        """Numbers of successes in n trials of probability p (`prob`: Theano's old name)."""
        if prob is not None:
            p = prob
        return self._elementwise("binomial", size, ndim, _int_dtype(dtype, "binomial"),
                                 [n, p])

    def random_integers(self, size: Any = None, low: Any = 0, high: Any = 1,
                        ndim: int | None = None, dtype: Any = "int64") -> Variable:
        """Integers uniform in [low, high], both included."""
        return self._elementwise("random_integers", size, ndim,
                                 _int_dtype(dtype, "random_integers"), [low, high])

    def poisson(self, size: Any = None, lam: Any = 1.0, ndim: int | None = None,
                dtype: Any = "int64") -> Variable:
        """Poisson samples of mean lam."""
        return self._elementwise("poisson", size, ndim, _int_dtype(dtype, "poisson"), [lam])

    def choice(self, size: Any = None, a: Any = 2, replace: bool = True, p: Any = None,
               ndim: int | None = None, dtype: Any = "int64") -> Variable:
        """Values of `a` (range(a) for an int) drawn with probabilities p (uniform when
        None), with or without replacement."""
        a = as_tensor_variable(a)
        if a.ndim > 1:
            raise TypeError(f"RandomStreams.choice: a must be an int or a vector, got {a.type}")
        params = [a] if p is None else [a, as_tensor_variable(p)]
        vec, n, has_size = (constant(np.zeros(0, dtype="int64")), 0, False) if size is None \
            else self._size(size, ndim, [], "choice")
        op = RandomFunction("choice", dtype, n, has_size, bool(replace))
        return self.gen(op, vec, *params)

    def permutation(self, size: Any = None, n: Any = 1, ndim: int | None = None,
                    dtype: Any = "int64") -> Variable:
        """Permutations of range(n): one (a vector) when size is None, else an array
        of shape size + (n,)."""
        n = as_tensor_variable(n)
        if n.ndim != 0 or not dtypes.is_int(n.dtype):
            raise TypeError(f"RandomStreams.permutation: n must be an integer scalar, got "
                            f"{n!r} ({n.type})")
        if size is None:
            vec, k, has_size = constant(np.zeros(0, dtype="int64")), 0, False
        else:
            vec, k, has_size = self._size(size, None if ndim is None else ndim - 1, [],
                                          "permutation")
        op = RandomFunction("permutation", _int_dtype(dtype, "permutation"), k + 1, has_size)
        return self.gen(op, vec, n)

    def multinomial(self, size: Any = None, n: Any = 1, pvals: Any = (0.5, 0.5),
                    ndim: int | None = None, dtype: Any = "int64") -> Variable:
        """Counts of n draws over the outcomes of pvals (last dim): shape size + (k,)."""
        n = as_tensor_variable(n)
        pvals = as_tensor_variable(pvals)
        if pvals.ndim == 0:
            raise TypeError("RandomStreams.multinomial: pvals must have at least one dim")
        if size is None:
            k = max(n.ndim, pvals.ndim - 1)
            vec, has_size = constant(np.zeros(0, dtype="int64")), False
        else:
            vec, k, has_size = self._size(size, None if ndim is None else ndim - 1, [],
                                          "multinomial")
        op = RandomFunction("multinomial", _int_dtype(dtype, "multinomial"), k + 1, has_size)
        return self.gen(op, vec, n, pvals)

    def shuffle_row_elements(self, input: Any) -> Variable:
        """The rows of `input` (a vector or matrix) in a random order."""
        input = as_tensor_variable(input)
        perm = self.permutation(n=shape_i(input, 0))
        return input[perm]


def _float_dtype(dtype: Any, who: str, *params: Variable) -> str:
    if dtype is None:
        return dtypes.upcast(config.floatX, *[p.dtype for p in params])
    dtype = dtypes.canonical(config.floatX if dtype == "floatX" else dtype)
    if not dtypes.is_float(dtype):
        raise TypeError(f"RandomStreams.{who}: dtype must be a float dtype, got {dtype}")
    return dtype


def _int_dtype(dtype: Any, who: str) -> str:
    dtype = dtypes.canonical(dtype)
    if not (dtypes.is_int(dtype) or dtypes.is_float(dtype)):
        raise TypeError(f"RandomStreams.{who}: dtype must be an integer or float dtype, got "
                        f"{dtype}")
    return dtype


__all__ = ["RandomFunction", "RandomStateSharedVariable", "RandomStreams", "decode_state",
           "encode_state", "shared_generator"]
