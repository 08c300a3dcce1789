"""MRG31k3p random streams (Theano's theano.sandbox.rng_mrg).

The generator is L'Ecuyer and Touzin's combined multiple recursive generator MRG31k3p
as Theano 1.0 defines it: a stream's state is 6 int32 (x11, x12, x13 modulo M1 and
x21, x22, x23 modulo M2), one step (`mrg_next_value`) uses only shifts, masks and int32
additions that wrap, and returns an integer k in [1, M1] that becomes the sample
k * NORM (float64), or the float32/float16 variants of Theano's numpy `perform`.

Streams: `MRG_RandomStreams(seed)` keeps a 6-int32 `rstate`; each random variable it
makes gets `nstreams` substreams spaced 2**72 steps apart (`ff_2p72`, a 3x3 matrix
product modulo M1/M2 per half), and the next variable starts 2**134 steps later
(`ff_2p134`). Sample i of a variable comes from substream i % nstreams, as in Theano,
so a variable's values are the same as Theano's for the same seed, size and nstreams.

The sampling op (`MRGUniform`, Theano's `mrg_uniform`) has a numpy `perform` (the
reference backend); the C backend runs it as a compiled loop (`backends/c/mrg.py`) and
the OpenCL backend as a kernel with one work-item per stream (`backends/opencl/mrg.py`),
with the same integer arithmetic and float conversion, so every backend gives the same
bits. Its state is a shared int32 matrix whose `default_update` is the op's new state, so
every call of a compiled function advances it (on OpenCL the state stays on the device).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from tensordsl import dtypes
from tensordsl.config import config
from tensordsl.gradient.core import register_connection
from tensordsl.graph.basic import Apply, Constant, Op, Variable
from tensordsl.graph.convert import as_tensor_variable, constant
from tensordsl.graph.type import TensorType
from tensordsl.ops.subtensor import shape_i
from tensordsl.random_ops import (
    run_time_shape,
    shape_entries,
    size_vector,
    static_sizes,
    undefined_grad,
    vector_length,
)
from tensordsl.runtime.shared import SharedVariable, shared
from tensordsl.sandbox.multinomial import ChoiceFromUniform, MultinomialFromUniform

# MRG31k3p constants (Theano's names)
M1 = 2147483647  # 2**31 - 1
M2 = 2147462579  # 2**31 - 21069
MASK12 = 511  # 2**9 - 1
MASK13 = 16777215  # 2**24 - 1
MASK2 = 65535  # 2**16 - 1
MULT2 = 21069
NORM = 4.656612873077392578125e-10  # 1 / 2**31

# Jump matrices: a state advanced 2**72 (substreams) and 2**134 (streams) steps.
A1p72 = np.asarray([[1516919229, 758510237, 499121365],
                    [1884998244, 1516919229, 335398200],
                    [601897748, 1884998244, 358115744]], dtype="int64")
A2p72 = np.asarray([[1228857673, 1496414766, 954677935],
                    [1133297478, 1407477216, 1496414766],
                    [2002613992, 1639496704, 1407477216]], dtype="int64")
A1p134 = np.asarray([[1702500920, 1849582496, 1656874625],
                     [828554832, 1702500920, 1512419905],
                     [1143731069, 828554832, 102237247]], dtype="int64")
A2p134 = np.asarray([[796789021, 1464208080, 607337906],
                     [1241679051, 1431130166, 1464208080],
                     [1401213391, 1178684362, 1431130166]], dtype="int64")

# Per output dtype, (mask, offset, norm) of Theano's perform: the sample is
# float64(((k & mask) + offset) * norm) rounded once to the dtype.
_TO_UNIT = {
    "float64": (0xFFFFFFFF, 0, NORM),
    "float32": (0xFFFFFFFF, 0, float(np.float32(4.6566126e-10))),  # float32(k*norm) < 1
    "float16": (0x7FFF, 1, float(np.float16(3.0458e-05))),
}
MAX_STREAMS = 60 * 256  # Theano's guess when the size is symbolic


def matVecModM(A: np.ndarray, s: Any, m: int) -> np.ndarray:  # noqa: N802 (Theano's name)
    """(A @ s) mod m for a 3x3 int64 matrix and a 3-vector of residues (int32 result)."""
    s = np.asarray(s, dtype="int64")
    return (np.sum((A * s) % m, axis=1) % m).astype("int32")


def multMatVect(v: Any, A: np.ndarray, m1: int, B: np.ndarray, m2: int  # noqa: N802
                ) -> np.ndarray:
    """The first half of `v` times A modulo m1 and the second half times B modulo m2."""
    v = np.asarray(v)
    return np.concatenate([matVecModM(A, v[:3], m1), matVecModM(B, v[3:], m2)])


def ff_2p134(rstate: Any) -> np.ndarray:
    """The state 2**134 steps after `rstate` (the start of the next stream)."""
    return multMatVect(rstate, A1p134, M1, A2p134, M2)


def ff_2p72(rstate: Any) -> np.ndarray:
    """The state 2**72 steps after `rstate` (the start of the next substream)."""
    return multMatVect(rstate, A1p72, M1, A2p72, M2)


def _matmul_mod(a: np.ndarray, b: np.ndarray, m: int) -> np.ndarray:
    """(a @ b) mod m for residue matrices (each product < 2**62 fits int64)."""
    return np.sum((a[:, :, None] * b[None, :, :]) % m, axis=1) % m


def _vecs_mod(a: np.ndarray, s: np.ndarray, m: int) -> np.ndarray:
    """Each row of `s` (k x 3 residues) multiplied by `a`, modulo m."""
    return np.sum((s[:, None, :] * a[None, :, :]) % m, axis=2) % m


def substream_states(start: Any, n: int) -> np.ndarray:
    """(n, 6) int32: row i is `start` advanced i * 2**72 steps (row i = ff_2p72(row i-1)).

    Rows are filled by doubling (rows [k, 2k) are A**k times rows [0, k)), which is the
    same modular arithmetic as n - 1 sequential jumps in log2(n) vectorised steps."""
    out = np.empty((n, 6), dtype="int64")
    out[0] = np.asarray(start, dtype="int64")
    a1, a2, filled = A1p72.copy(), A2p72.copy(), 1
    while filled < n:
        take = min(filled, n - filled)
        out[filled:filled + take, :3] = _vecs_mod(a1, out[:take, :3], M1)
        out[filled:filled + take, 3:] = _vecs_mod(a2, out[:take, 3:], M2)
        filled += take
        a1, a2 = _matmul_mod(a1, a1, M1), _matmul_mod(a2, a2, M2)
    return out.astype("int32")


def _mrg_rows(x11: np.ndarray, x12: np.ndarray, x13: np.ndarray, x21: np.ndarray,
              x22: np.ndarray, x23: np.ndarray) -> tuple[np.ndarray, ...]:
    """One MRG31k3p step of many streams given as six int32 component arrays: the new
    components (x11, x12, x13, x21, x22, x23) and k in [1, M1].

    int32 arithmetic wraps as in Theano's code (and its C version): numpy arrays wrap
    silently; the conditional subtractions are `where`s."""
    m1, m2 = np.int32(M1), np.int32(M2)

    def fold(y: np.ndarray, m: np.int32) -> np.ndarray:
        return np.where((y < 0) | (y >= m), y - m, y)

    # first component
    y1 = ((x12 & MASK12) << 22) + (x12 >> 9) + ((x13 & MASK13) << 7) + (x13 >> 24)
    y1 = fold(fold(y1, m1) + x13, m1)
    # second component
    z1 = fold(((x21 & MASK2) << 15) + np.int32(MULT2) * (x21 >> 16), m2)
    z2 = fold(((x23 & MASK2) << 15) + np.int32(MULT2) * (x23 >> 16), m2)
    z2 = fold(fold(z2 + x23, m2) + z1, m2)
    diff = y1 - z2
    k = np.where(y1 <= z2, diff + m1, diff)
    return y1, x11, x12, z2, x21, x22, k


def _mrg_step(state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One step of every row of an (k, 6) int32 state: (new state, k in [1, M1])."""
    *new, k = _mrg_rows(*(state[:, j] for j in range(6)))
    return np.stack(new, axis=1).astype("int32"), k


def _to_unit(k: np.ndarray, dtype: str) -> np.ndarray:
    mask, offset, norm = _TO_UNIT[dtype]
    return (((k.astype("int64") & mask) + offset).astype("float64") * norm).astype(dtype)


def mrg_next_value(rstate: np.ndarray, new_rstate: np.ndarray, NORM: float = NORM,  # noqa: N803
                   mask: int = 0xFFFFFFFF, offset: int = 0) -> float:
    """One step of one stream (Theano's signature): writes the new state into
    `new_rstate` and returns the sample (((k & mask) + offset) * NORM)."""
    new, k = _mrg_step(np.asarray(rstate, dtype="int32").reshape(1, 6))
    new_rstate[...] = new[0]
    return ((int(k[0]) & mask) + offset) * NORM


def mrg_sample(rstate: np.ndarray, n: int, dtype: str) -> tuple[np.ndarray, np.ndarray]:
    """(new state, n samples in (0, 1) of `dtype`): sample i from stream i % nstreams."""
    rows = np.array(np.asarray(rstate, dtype="int32").T, order="C")  # (6, streams)
    streams = rows.shape[1]
    ks = np.empty(n, dtype="int32")
    with np.errstate(over="ignore"):
        for start in range(0, n, max(streams, 1)):  # one vectorised step per used stream
            used = min(streams, n - start)
            *new, k = _mrg_rows(*rows[:, :used])
            rows[:, :used] = np.stack(new)  # a copy first: new holds views of rows
            ks[start:start + used] = k
    return np.array(rows.T, order="C"), _to_unit(ks, dtype)


class MRGUniform(Op):
    """(rstate, size) -> (new rstate, uniform samples of `dtype` in (0, 1) of shape size).

    Never changes its input state (the new state is a new array)."""

    __props__ = ("dtype", "ndim")

    def __init__(self, dtype: str, ndim: int) -> None:
        dtype = dtypes.canonical(dtype)
        if dtype not in _TO_UNIT:
            raise TypeError(f"mrg_uniform: dtype must be float16, float32 or float64, got "
                            f"{dtype}")
        self.dtype, self.ndim = dtype, int(ndim)

    @classmethod
    def new(cls, rstate: Any, ndim: int | None, dtype: str, size: Any) -> list[Variable]:
        """[new rstate, sample] for `size` (Theano's `mrg_uniform.new`)."""
        size = size_vector(size, "mrg_uniform", allow_scalar=False)
        return cls(dtype, vector_length(size, ndim, "mrg_uniform"))(rstate, size)

    def make_node(self, rstate: Any, size: Any) -> Apply:
        rstate = as_tensor_variable(rstate)
        if rstate.ndim != 2 or rstate.dtype != "int32":
            raise TypeError(f"mrg_uniform: the state must be an int32 matrix (streams x 6), "
                            f"got {rstate!r} ({rstate.type})")
        size = size_vector(size, "mrg_uniform", allow_scalar=False)
        vector_length(size, self.ndim, "mrg_uniform")
        sample = TensorType(self.dtype, static_sizes(size, self.ndim))()
        return Apply(self, [rstate, size], [rstate.type(), sample])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        rstate, size = inputs
        shape, n = self.check_draw(rstate, size)
        new_state, flat = mrg_sample(rstate, n, self.dtype)
        return [new_state, flat.reshape(shape)]

    def check_draw(self, rstate: Any, size: Any) -> tuple[tuple[int, ...], int]:
        """(sample shape, sample count) of a draw, or the ValueError every backend raises
        for a bad size or state. `rstate` may be any array with shape and dtype (a device
        array too): only those are read."""
        shape = run_time_shape(size, self.ndim, "mrg_uniform")
        n = int(np.prod(shape, dtype="int64"))
        if n > M1:
            raise ValueError(f"mrg_uniform: at most 2**31 - 1 samples at once, got {n}")
        if len(rstate.shape) != 2 or rstate.shape[1] != 6 or rstate.dtype != np.int32:
            raise ValueError(f"mrg_uniform: the state must be an int32 (streams, 6) matrix, "
                             f"got {rstate.dtype} of shape {tuple(rstate.shape)}")
        if rstate.shape[0] == 0 and n:
            raise ValueError("mrg_uniform: the state has no stream")
        return shape, n

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        rstate, size = node.inputs
        return [input_shapes[0], shape_entries(size, self.ndim)]


mrg_uniform = MRGUniform  # Theano's name
# No gradient reaches the state or the size through a sample (Theano: grad_undefined).
register_connection(MRGUniform, lambda node: [False, False])


def guess_n_streams(size: Any, warn: bool = False) -> int:
    """Theano's number of streams for `size`: a sixth of the sample count for a size of
    plain ints (at least 1 stream per sample up to 6), at most 60*256; 60*256 when the
    size is symbolic."""
    if isinstance(size, (tuple, list)) and all(_is_int(s) for s in size):
        r = 1
        for s in size:
            r *= int(s)
        if r > 6:
            r = r // 6  # Theano: chosen as fastest for its rbm benchmark
        return min(r, MAX_STREAMS)
    if warn:
        warnings.warn(f"MRG_RandomStreams cannot determine the number of streams from size "
                      f"{size!r}; guessing {MAX_STREAMS}", stacklevel=3)
    return MAX_STREAMS


def _is_int(value: Any) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _as_dtype(x: Any, dtype: str) -> Variable:
    """`x` as a tensor of `dtype` (a constant stays a constant)."""
    from tensordsl.tensor.math import cast

    x = as_tensor_variable(x)
    if isinstance(x, Constant):
        return constant(x.data.astype(dtype), dtype=dtype) if x.dtype != dtype else x
    return cast(x, dtype)


def _float_dtype(dtype: Any, who: str) -> str:
    dtype = dtypes.canonical(config.floatX if dtype == "floatX" else dtype)
    if dtype not in _TO_UNIT:
        raise TypeError(f"MRG_RandomStreams.{who}: dtype must be float16, float32 or float64, "
                        f"got {dtype}")
    return dtype


def _no_kwargs(who: str, kwargs: dict) -> None:
    kwargs.pop("target", None)  # Theano's GPU context name: one device here
    if kwargs:
        raise TypeError(f"MRG_RandomStreams.{who}() got unexpected keyword arguments "
                        f"{sorted(kwargs)}")


class MRG_RandomStreams:  # noqa: N801 (Theano's name)
    """Random variables from MRG31k3p streams, with numpy.random-like methods.

    `seed` is an int in [1, M2) (repeated 6 times) or 6 ints: the first three in
    [0, M1) and not all 0, the last three in [0, M2) and not all 0.
    """

    def __init__(self, seed: Any = 12345) -> None:
        # (state shared variable, its update, size, nstreams) of every variable made
        self.state_updates: list[tuple[SharedVariable, Variable, Any, int | None]] = []
        self.default_instance_seed = seed
        self.set_rstate(seed)

    def updates(self) -> list[tuple[SharedVariable, Variable, Any, int | None]]:
        """The (state, new state, size, nstreams) of every variable made so far."""
        return list(self.state_updates)

    def set_rstate(self, seed: Any) -> None:
        """Set the 6-int32 state the next variable's streams start from."""
        if _is_int(seed):
            seed = int(seed)
            if seed <= 0:
                raise ValueError(f"MRG_RandomStreams: seed must be a positive int (or 6 "
                                 f"ints), got {seed}")
            if seed >= M2:
                raise ValueError(f"MRG_RandomStreams: seed must be less than {M2}, got {seed}")
            self.rstate = np.asarray([seed] * 6, dtype="int32")
            return
        if not isinstance(seed, (tuple, list, np.ndarray)) or len(seed) != 6 \
                or not all(_is_int(s) for s in seed):
            raise TypeError(f"MRG_RandomStreams: seed must be 1 integer or 6 integers, got "
                            f"{seed!r:.80}")
        s = [int(v) for v in seed]
        if min(s) < 0:
            raise ValueError(f"MRG_RandomStreams: seed values must be >= 0, got {s}")
        if s[:3] == [0, 0, 0] or s[3:] == [0, 0, 0]:
            raise ValueError(f"MRG_RandomStreams: neither the first 3 nor the last 3 values "
                             f"of the seed may all be 0, got {s}")
        if max(s[:3]) >= M1:
            raise ValueError(f"MRG_RandomStreams: the first 3 values of the seed must be less "
                             f"than {M1}, got {s}")
        if max(s[3:]) >= M2:
            raise ValueError(f"MRG_RandomStreams: the last 3 values of the seed must be less "
                             f"than {M2}, got {s}")
        self.rstate = np.asarray(s, dtype="int32")

    def seed(self, seed: Any = None) -> None:
        """Re-seed (with the constructor's seed when None): every variable made so far
        gets the state it would have had from a fresh stream of this seed."""
        self.set_rstate(self.default_instance_seed if seed is None else seed)
        for old_r, new_r, size, nstreams in self.state_updates:
            if nstreams is None:
                nstreams = self.n_streams(size)
            old_r.set_value(self.get_substream_rstates(nstreams, new_r.owner.outputs[1].dtype),
                            borrow=True)

    def inc_rstate(self) -> None:
        """Jump `rstate` 2**134 steps ahead, to the next stream's start."""
        self.rstate = ff_2p134(self.rstate)

    def get_substream_rstates(self, n_streams: int, dtype: str, inc_rstate: bool = True
                              ) -> np.ndarray:
        """(n_streams, 6) int32: substreams of the current stream, 2**72 steps apart;
        then (by default) move on to the next stream."""
        if not _is_int(n_streams) or n_streams <= 0:
            raise ValueError(f"MRG_RandomStreams: nstreams must be a positive int, got "
                             f"{n_streams!r}")
        rval = substream_states(self.rstate, int(n_streams))
        if inc_rstate:
            self.inc_rstate()
        return rval

    def n_streams(self, size: Any) -> int:
        """The number of streams used for `size` when nstreams is not given."""
        return guess_n_streams(size)

    def pretty_return(self, node_rstate: SharedVariable, new_rstate: Variable,
                      sample: Variable, size: Any, nstreams: int | None) -> Variable:
        """Record the state update of `sample` and make it the state's default update."""
        sample.tag["rstate"] = node_rstate
        sample.tag["update"] = (node_rstate, new_rstate)
        self.state_updates.append((node_rstate, new_rstate, size, nstreams))
        node_rstate.default_update = new_rstate
        return sample

    def uniform(self, size: Any, low: Any = 0.0, high: Any = 1.0, ndim: int | None = None,
                dtype: Any = None, nstreams: int | None = None, **kwargs: Any) -> Variable:
        """Samples uniform in (low, high) (both bounds excluded) of shape `size` (a tuple
        of ints / integer scalars, or an integer vector variable). The dtype is at least
        as precise as floatX unless given."""
        from tensordsl.tensor import math as tm

        _no_kwargs("uniform", kwargs)
        low, high = as_tensor_variable(low), as_tensor_variable(high)
        if dtype is None:
            dtype = dtypes.upcast(config.floatX, low.dtype, high.dtype)
        dtype = _float_dtype(dtype, "uniform")
        low = undefined_grad(_as_dtype(low, dtype))
        high = undefined_grad(_as_dtype(high, dtype))
        size_var = size_vector(size, "MRG_RandomStreams.uniform", allow_scalar=False)
        orig_nstreams = nstreams
        if nstreams is None:
            nstreams = self.n_streams(size)
        rstates = self.get_substream_rstates(nstreams, dtype)
        node_rstate = shared(rstates)
        node_rstate.tag["is_rng"] = True
        new_rstate, u = MRGUniform.new(node_rstate, ndim, dtype, size_var)
        self.pretty_return(node_rstate, new_rstate, u, size, orig_nstreams)
        r = tm.add(tm.mul(u, tm.sub(high, low)), low)
        if u.broadcastable != r.broadcastable:
            raise NotImplementedError("MRG_RandomStreams.uniform: increase the size to match "
                                      "the broadcasting pattern of `low` and `high`")
        return r

    def binomial(self, size: Any = None, n: Any = 1, p: Any = 0.5, ndim: int | None = None,
                 dtype: Any = "int64", nstreams: int | None = None, **kwargs: Any) -> Variable:
        """0/1 samples that are 1 with probability p (n must be 1, as in Theano)."""
        from tensordsl.tensor import math as tm

        if isinstance(n, Variable) or n != 1:
            raise NotImplementedError("MRG_RandomStreams.binomial with n > 1")
        if size is None:
            raise TypeError("MRG_RandomStreams.binomial: size must be given")
        p = undefined_grad(as_tensor_variable(p))
        x = self.uniform(size=size, ndim=ndim, nstreams=nstreams, **kwargs)
        return tm.cast(tm.lt(x, p), dtype)

    def multinomial(self, size: Any = None, n: Any = 1, pvals: Any = None,
                    ndim: int | None = None, dtype: Any = "int64",
                    nstreams: int | None = None, **kwargs: Any) -> Variable:
        """Counts of `n` draws from each row of the probability matrix `pvals` (same
        shape as pvals). `size` and `ndim` must be None (Theano's rule)."""
        if pvals is None:
            raise TypeError("MRG_RandomStreams.multinomial: pvals must be given")
        pvals = undefined_grad(as_tensor_variable(pvals))
        if size is not None:
            raise ValueError("MRG_RandomStreams.multinomial does not use the size argument; "
                             "the shape comes from pvals")
        if ndim is not None:
            raise ValueError("MRG_RandomStreams.multinomial does not use the ndim argument")
        if pvals.ndim != 2:
            raise NotImplementedError("MRG_RandomStreams.multinomial is only implemented "
                                      f"for a pvals matrix, got {pvals.ndim} dims")
        from tensordsl.tensor import math as tm

        n_var = as_tensor_variable(n)
        unis = self.uniform(size=(tm.mul(shape_i(pvals, 0), n_var),), ndim=1,
                            nstreams=nstreams, **kwargs)
        return MultinomialFromUniform(dtype)(pvals, unis, n_var)

    def choice(self, size: Any = 1, a: Any = None, replace: bool = False, p: Any = None,
               ndim: int | None = None, dtype: Any = "int64", nstreams: int | None = None,
               **kwargs: Any) -> Variable:
        """`size` indices into each row of the probability matrix `p` (rows x size),
        without replacement unless `replace` (a must be None: indices run 0..p.shape[1]-1)."""
        if a is not None:
            raise TypeError("MRG_RandomStreams.choice: a must be None; the samples are "
                            "indices 0 .. p.shape[1]-1")
        if p is None:
            raise TypeError("MRG_RandomStreams.choice: p must be given")
        if ndim is not None:
            raise ValueError("MRG_RandomStreams.choice does not use the ndim argument")
        p = undefined_grad(as_tensor_variable(p))
        if p.ndim != 2:
            raise NotImplementedError("MRG_RandomStreams.choice is only implemented for a "
                                      f"p matrix, got {p.ndim} dims")
        size_var = as_tensor_variable(size)
        if size_var.ndim != 0 or not dtypes.is_int(size_var.dtype):
            raise TypeError(f"MRG_RandomStreams.choice: size must be an integer scalar, got "
                            f"{size!r:.40}")
        from tensordsl.tensor import math as tm

        unis = self.uniform(size=(tm.mul(shape_i(p, 0), size_var),), ndim=1,
                            nstreams=nstreams, **kwargs)
        return ChoiceFromUniform(dtype, replace)(p, unis, size_var)

    def multinomial_wo_replacement(self, size: Any = None, n: Any = 1, pvals: Any = None,
                                   ndim: int | None = None, dtype: Any = "int64",
                                   nstreams: int | None = None, **kwargs: Any) -> Variable:
        """Deprecated in Theano: choice(size=n, p=pvals, replace=False)."""
        warnings.warn("MRG_RandomStreams.multinomial_wo_replacement() is deprecated; use "
                      "choice()", DeprecationWarning, stacklevel=2)
        if size is not None:
            raise ValueError("MRG_RandomStreams.multinomial_wo_replacement: size must be "
                             "None (n gives the number of draws)")
        return self.choice(size=n, a=None, replace=False, p=pvals, dtype=dtype,
                           nstreams=nstreams, ndim=ndim, **kwargs)

    def normal(self, size: Any, avg: Any = 0.0, std: Any = 1.0, ndim: int | None = None,
               dtype: Any = None, nstreams: int | None = None, truncate: bool = False,
               **kwargs: Any) -> Variable:
        """Normal samples (Box-Muller on pairs of uniforms, as Theano); with `truncate`,
        samples beyond 2 standard deviations are redrawn (as Theano does)."""
        from tensordsl.tensor import basic as tb
        from tensordsl.tensor import math as tm

        size = size_vector(size, "MRG_RandomStreams.normal")
        ndim = vector_length(size, ndim, "MRG_RandomStreams.normal")
        avg, std = as_tensor_variable(avg), as_tensor_variable(std)
        if dtype is None:
            dtype = dtypes.upcast(config.floatX, avg.dtype, std.dtype)
        dtype = _float_dtype(dtype, "normal")
        avg = undefined_grad(_as_dtype(avg, dtype))
        std = undefined_grad(_as_dtype(std, dtype))
        # an even number of uniforms: the first half are radii, the second angles
        n_odd = tm.prod(size, dtype="int64")
        n_even = tm.add(n_odd, tm.mod(n_odd, 2))
        uniform = self.uniform((n_even,), low=0.0, high=1.0, ndim=1, dtype=dtype,
                               nstreams=nstreams, **kwargs)
        half = tm.int_div(n_even, 2)
        u1, u2 = uniform[:half], uniform[half:]
        minus_two = constant(np.asarray(-2.0, dtype=dtype))  # keeps float16 float16
        r = tm.sqrt(tm.mul(minus_two, tm.log(u1)))
        theta = tm.mul(constant(np.asarray(2.0 * np.pi, dtype=dtype)), u2)
        cos_theta, sin_theta = tm.cos(theta), tm.sin(theta)
        z0, z1 = tm.mul(r, cos_theta), tm.mul(r, sin_theta)
        if truncate:
            norm = self._truncated(z0, z1, cos_theta, sin_theta, dtype, nstreams, kwargs)
        else:
            norm = tb.join(0, z0, z1)
        samples = tb.reshape(norm[:n_odd], size, ndim=ndim)
        return tm.add(tm.mul(samples, std), avg)

    def _truncated(self, z0: Variable, z1: Variable, cos_theta: Variable,
                   sin_theta: Variable, dtype: str, nstreams: int | None, kwargs: dict
                   ) -> Variable:
        """Theano's truncation: the pairs' samples beyond +-2 get a new radius from a
        uniform in (e**-2, 1) keeping their angle; order: valid z0, fixed z0, valid z1,
        fixed z1."""
        from tensordsl.tensor import math as tm

        n_fix = CountBeyond(2.0)(z0, z1)
        lower = constant(np.asarray(1.0 / np.e ** 2, dtype=dtype))
        u_fix = self.uniform((n_fix,), low=lower, high=1.0, ndim=1, dtype=dtype,
                             nstreams=nstreams, **kwargs)
        r_fix = tm.sqrt(tm.mul(constant(np.asarray(-2.0, dtype=dtype)), tm.log(u_fix)))
        return PackTruncated(2.0)(z0, z1, cos_theta, sin_theta, r_fix)

    def truncated_normal(self, size: Any, avg: Any = 0.0, std: Any = 1.0,
                         ndim: int | None = None, dtype: Any = None,
                         nstreams: int | None = None, **kwargs: Any) -> Variable:
        """Normal samples truncated at 2 standard deviations, rescaled so that their
        standard deviation is `std` (Theano's constant from scipy's truncnorm)."""
        from tensordsl.tensor import math as tm

        std = tm.true_div(as_tensor_variable(std), constant(0.87962566103423978))
        return self.normal(size=size, avg=avg, std=std, truncate=True, ndim=ndim,
                           dtype=dtype, nstreams=nstreams, **kwargs)


class CountBeyond(Op):
    """(z0, z1) -> int64 number of entries of both with |z| > bound (NaN is not)."""

    __props__ = ("bound",)

    def __init__(self, bound: float) -> None:
        self.bound = float(bound)

    def make_node(self, z0: Any, z1: Any) -> Apply:
        z0, z1 = as_tensor_variable(z0), as_tensor_variable(z1)
        return Apply(self, [z0, z1], [TensorType("int64", ())()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        b = self.bound
        return [np.asarray(sum(int(np.count_nonzero((z < -b) | (z > b))) for z in inputs),
                           dtype="int64")]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [()]


class PackTruncated(Op):
    """Theano's truncated normal: valid z0, z0's redrawn, valid z1, z1's redrawn (a
    redrawn sample is its new radius times its angle's cos or sin)."""

    __props__ = ("bound",)

    def __init__(self, bound: float) -> None:
        self.bound = float(bound)

    def make_node(self, z0: Any, z1: Any, cos_theta: Any, sin_theta: Any, r_fix: Any
                  ) -> Apply:
        args = [as_tensor_variable(v) for v in (z0, z1, cos_theta, sin_theta, r_fix)]
        return Apply(self, args, [TensorType(args[0].dtype, (None,))()])

    def perform(self, node: Apply, inputs: list[np.ndarray]) -> list[np.ndarray]:
        z0, z1, cos_theta, sin_theta, r_fix = inputs
        b = self.bound
        bad0, bad1 = (z0 < -b) | (z0 > b), (z1 < -b) | (z1 > b)
        n0 = int(np.count_nonzero(bad0))
        fixed0 = r_fix[:n0] * cos_theta[bad0]
        fixed1 = r_fix[n0:] * sin_theta[bad1]
        out = np.concatenate([z0[~bad0], fixed0, z1[~bad1], fixed1])
        return [out.astype(node.outputs[0].dtype, copy=False)]

    def infer_shape(self, node: Apply, input_shapes: list[tuple]) -> list[tuple]:
        return [(shape_i(node.outputs[0], 0),)]


register_connection(CountBeyond, lambda node: [False, False])
register_connection(PackTruncated, lambda node: [False] * 5)

__all__ = ["A1p134", "A1p72", "A2p134", "A2p72", "ChoiceFromUniform", "M1", "M2", "MASK12",
           "MASK13", "MASK2", "MultinomialFromUniform",
           "MRGUniform", "MRG_RandomStreams", "MULT2", "NORM", "ff_2p134", "ff_2p72",
           "guess_n_streams", "matVecModM", "mrg_next_value", "mrg_sample", "mrg_uniform",
           "multMatVect", "substream_states"]
