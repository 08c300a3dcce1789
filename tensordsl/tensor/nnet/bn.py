"""Theano 1.0's tensor.nnet.bn: batch normalization as graphs of existing ops.

`batch_normalization_train` normalizes with the batch's own mean and variance (and
updates running averages), `batch_normalization_test` with given ones, and
`batch_normalization` applies a given mean and standard deviation. Theano 1.0 builds
abstract ops that cuDNN may replace; here each is the documented formula spelled out
with mean/var/elementwise ops, so gradients, rewrites and backends come for free.
See docs/nnet.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tensordsl.config import config
from tensordsl.graph.convert import as_tensor_variable, constant
from tensordsl.tensor import math as tm
from tensordsl.tensor.basic import dimshuffle
from tensordsl.tensor.basic_extra import specify_shape
from tensordsl.tensor.variable import TensorVariable

__all__ = ["batch_normalization", "batch_normalization_test", "batch_normalization_train"]


def batch_normalization(inputs: Any, gamma: Any, beta: Any, mean: Any, std: Any,
                        mode: str = "low_mem") -> TensorVariable:
    """(inputs - mean) / std * gamma + beta, every argument broadcast against `inputs`.

    mode 'low_mem' and 'high_mem' are Theano's two evaluation orders (the first
    divides by std before scaling, the second scales by gamma / std); both give the
    same values to rounding.
    """
    inputs, gamma, beta, mean, std = (as_tensor_variable(v)
                                      for v in (inputs, gamma, beta, mean, std))
    if mode == "low_mem":
        return (inputs - mean) / std * gamma + beta
    if mode == "high_mem":
        return (inputs - mean) * (gamma / std) + beta
    raise ValueError(f"batch_normalization: mode must be either 'low_mem' or 'high_mem', "
                     f"got {mode!r}")


def _axes(axes: Any, ndim: int, where: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(normalized axes, the other axes) from 'per-activation', 'spatial' or ints."""
    if isinstance(axes, str) and axes == "per-activation":
        norm = (0,)
    elif isinstance(axes, str) and axes == "spatial":
        norm = (0,) + tuple(range(2, ndim))
    elif isinstance(axes, (tuple, list, np.ndarray)):
        norm = tuple(int(a) for a in axes)
    else:
        raise ValueError(f"{where}: axes must be 'per-activation', 'spatial' or a tuple of "
                         f"ints, got {axes!r}")
    norm = tuple(sorted(norm))
    if not norm:
        raise ValueError(f"{where}: there should be at least one normalization axis")
    if min(norm) < 0 or max(norm) >= ndim:
        raise ValueError(f"{where}: axes should be less than ndim (<{ndim}), but {norm} "
                         f"given")
    return norm, tuple(i for i in range(ndim) if i not in norm)


def _epsilon(epsilon: Any, where: str) -> float:
    # rounded to floatX, then compared in float64, as Theano: float32(1e-5) is below 1e-5
    eps = np.asarray(epsilon, dtype=config.floatX)
    if float(eps) < 1e-5:
        raise ValueError(f"{where}: epsilon must be at least 1e-5, got {epsilon!r}")
    return float(eps)


class _Params:
    """How the parameter tensors (gamma, beta, mean, ...) line up with the inputs: either
    with all of its dims (size 1 on the normalized axes) or only the other dims."""

    def __init__(self, ndim: int, axes: tuple[int, ...], kept: tuple[int, ...],
                 params_ndim: int) -> None:
        self.ndim, self.axes, self.kept, self.full = ndim, axes, kept, params_ndim == ndim

    def expand(self, t: TensorVariable, what: str, where: str) -> TensorVariable:
        """`t` as a tensor of the inputs' ndim, size 1 (broadcastable) on the axes."""
        if not self.full:
            pattern: list[Any] = ["x"] * self.ndim
            for i, axis in enumerate(self.kept):
                pattern[axis] = i
            return dimshuffle(t, pattern)
        static = t.type.shape
        bad = [a for a in self.axes if static[a] not in (None, 1)]
        if bad:
            raise ValueError(f"{where}: {what} must have size 1 on the normalized axes "
                             f"{self.axes}, but its shape is {static}")
        if all(static[a] == 1 for a in self.axes):
            return t
        # Theano's addbroadcast: a run-time check that the axes have size 1
        return specify_shape(t, [1 if i in self.axes else t.shape[i] for i in range(self.ndim)])

    def reduce(self, t: TensorVariable) -> TensorVariable:
        """A statistic of the inputs' ndim back in the parameters' layout."""
        return t if self.full else dimshuffle(t, list(self.kept))


def _params(inputs: TensorVariable, axes: Any, named: dict[str, Any], where: str
            ) -> tuple[_Params, dict[str, TensorVariable]]:
    ndim = inputs.ndim
    norm, kept = _axes(axes, ndim, where)
    tensors = {k: as_tensor_variable(v) for k, v in named.items()}
    params_ndim = ndim if tensors["gamma"].ndim == ndim else len(kept)
    gamma, beta = tensors["gamma"], tensors["beta"]
    if gamma.ndim != params_ndim or beta.ndim != params_ndim:
        raise ValueError(f"{where}: gamma and beta dimensionality must match the number of "
                         f"non-normalized axes, or have the same number of dimensions as "
                         f"the inputs; got {gamma.ndim} and {beta.ndim} instead of "
                         f"{params_ndim}")
    for name, t in tensors.items():
        if t.ndim != params_ndim:
            raise ValueError(f"{where}: {name} must be of the same dimensionality as gamma "
                             f"and beta; got {t.ndim} instead of {params_ndim}")
    layout = _Params(ndim, norm, kept, params_ndim)
    return layout, {k: layout.expand(t, k, where) for k, t in tensors.items()}


def batch_normalization_train(inputs: Any, gamma: Any, beta: Any,
                              axes: Any = "per-activation", epsilon: float = 1e-4,
                              running_average_factor: float = 0.1, running_mean: Any = None,
                              running_var: Any = None) -> tuple[TensorVariable, ...]:
    """Batch normalization with the batch's statistics (Theano 1.0's semantics).

    axes: 'per-activation' (= (0,)), 'spatial' (= (0, 2, 3, ...)) or a tuple of ints.
    gamma/beta (and running_mean/running_var) have the inputs' ndim with size 1 on the
    axes, or only the other dims. Returns (out, mean, invstd), plus (new_running_mean,
    new_running_var) when both running averages are given, with

        mean = inputs.mean(axes); var = inputs.var(axes); invstd = 1 / sqrt(var + eps)
        out = (inputs - mean) * gamma * invstd + beta
        new_running_mean = running_mean * (1 - f) + mean * f
        new_running_var = running_var * (1 - f) + m / (m - 1) * var * f

    (m the number of values averaged over, f running_average_factor); mean, invstd and
    the running averages in the parameters' layout.
    """
    where = "batch_normalization_train"
    inputs = as_tensor_variable(inputs)
    if (running_mean is None) != (running_var is None):
        raise ValueError(f"{where}: running_mean and running_var must either both be given "
                         f"or both be None")
    named = dict(gamma=gamma, beta=beta)
    if running_mean is not None:
        named.update(running_mean=running_mean, running_var=running_var)
    eps = _epsilon(epsilon, where)
    layout, p = _params(inputs, axes, named, where)
    dtype = inputs.dtype
    mean = tm.mean(inputs, axis=layout.axes, keepdims=True)
    var = tm.var(inputs, axis=layout.axes, keepdims=True)
    invstd = tm.inv(tm.sqrt(var + constant(eps, dtype=var.dtype)))  # type: ignore[attr-defined]
    out = (inputs - mean) * p["gamma"] * invstd + p["beta"]
    results = [out, layout.reduce(mean), layout.reduce(invstd)]
    if running_mean is not None:
        f = constant(running_average_factor, dtype=var.dtype)
        one = constant(1, dtype=var.dtype)
        m = tm.cast(tm.prod(inputs.shape) // tm.prod(mean.shape), var.dtype)
        new_mean = p["running_mean"] * (one - f) + mean * f
        new_var = p["running_var"] * (one - f) + (m / (m - one)) * var * f
        results += [layout.reduce(new_mean), layout.reduce(new_var)]
    if not dtype.startswith("float"):
        return tuple(results)
    return tuple(tm.cast(r, dtype) if r.dtype != dtype else r for r in results)


def batch_normalization_test(inputs: Any, gamma: Any, beta: Any, mean: Any, var: Any,
                             axes: Any = "per-activation", epsilon: float = 1e-4
                             ) -> TensorVariable:
    """Batch normalization with given statistics (Theano 1.0's semantics):
    (inputs - mean) * gamma / sqrt(var + epsilon) + beta, the parameters laid out as in
    batch_normalization_train."""
    where = "batch_normalization_test"
    inputs = as_tensor_variable(inputs)
    eps = _epsilon(epsilon, where)
    _, p = _params(inputs, axes, dict(gamma=gamma, beta=beta, mean=mean, var=var), where)
    var_eps = p["var"] + constant(eps, dtype=p["var"].dtype)
    out = (inputs - p["mean"]) * p["gamma"] / tm.sqrt(var_eps) + p["beta"]  # type: ignore
    return tm.cast(out, inputs.dtype) if inputs.dtype.startswith("float") else out
