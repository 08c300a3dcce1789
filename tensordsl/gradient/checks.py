"""verify_grad: compare symbolic gradients with finite differences (Theano's check).

The output of `fn` is projected on a random tensor, cost = sum(proj * fn(*inputs)), so
one scalar checks every output element; its gradient is compared, element by element,
with central finite differences of the compiled cost.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tensordsl.graph.type import TensorType

# Default step and tolerance per dtype (Theano's values; float16 is loose).
TYPE_EPS = {"float64": 1e-7, "float32": 3e-4, "float16": 1e-1}
TYPE_TOL = {"float64": 1e-4, "float32": 1e-2, "float16": 5e-2}


class GradientError(ValueError):
    """The symbolic and the numerical gradient disagree."""

    def __init__(self, arg: int, pos: tuple, abs_err: float, rel_err: float,
                 analytic: float, numeric: float, abs_tol: float, rel_tol: float) -> None:
        self.arg, self.pos = arg, pos
        self.abs_err, self.rel_err = abs_err, rel_err
        self.abs_tol, self.rel_tol = abs_tol, rel_tol
        super().__init__(
            f"verify_grad: the gradient of input {arg} disagrees with finite differences: "
            f"max abs error {abs_err:.3g} (tolerance {abs_tol:.3g}) and max rel error "
            f"{rel_err:.3g} (tolerance {rel_tol:.3g}) at position {pos}: symbolic "
            f"{analytic!r}, numeric {numeric!r}")


def _as_points(pt: Sequence[Any]) -> list[np.ndarray]:
    if not isinstance(pt, (list, tuple)):
        raise TypeError(f"verify_grad: pt must be a list of arrays, got {type(pt).__name__}")
    points = []
    for i, p in enumerate(pt):
        arr = np.array(p, dtype=p.dtype if isinstance(p, np.ndarray) else "float64")
        if arr.dtype.kind != "f":
            raise TypeError(f"verify_grad: point {i} has dtype {arr.dtype}; gradients need "
                            f"float inputs")
        points.append(arr)
    return points


def _projection(rng: Any, shape: tuple[int, ...]) -> np.ndarray:
    draw = rng.random(shape) if hasattr(rng, "random") else rng.rand(*shape)
    return np.asarray(draw, dtype="float64") + 0.5


def numeric_grad(cost_fn: Callable[..., Any], points: list[np.ndarray], eps: float
                 ) -> list[np.ndarray]:
    """Central differences of the scalar `cost_fn` at `points`, one element at a time."""
    grads = []
    for i, p in enumerate(points):
        g = np.zeros(p.shape, dtype="float64")
        for pos in np.ndindex(*p.shape):
            args = [q.copy() for q in points]
            args[i][pos] = p[pos] + eps
            up = float(cost_fn(*args))
            args[i][pos] = p[pos] - eps
            down = float(cost_fn(*args))
            g[pos] = (up - down) / (2 * eps)
        grads.append(g)
    return grads


def verify_grad(fn: Callable[..., Any], pt: Sequence[Any], rng: Any = None,
                eps: float | None = None, abs_tol: float | None = None,
                rel_tol: float | None = None, mode: Any = None,
                n_tests: int = 1, out_type: Any = None, cast_to_output_type: bool = False,
                no_debug_ref: bool = True) -> None:
    """Raise GradientError unless grad(fn) matches finite differences at `pt`.

    `fn` maps symbolic inputs (one per array of `pt`) to one symbolic output. An element
    passes when its absolute OR relative error is within tolerance (Theano's rule,
    relative error = |a - n| / (|a| + |n|)). `rng` (numpy Generator or RandomState)
    draws the projection; a fixed seed is used when it is None. `n_tests` projections
    are tried (Theano's default is 2; 1 here). `out_type`, `cast_to_output_type` and
    `no_debug_ref` are accepted for Theano compatibility and ignored.
    """
    from tensordsl.gradient.core import grad
    from tensordsl.runtime.function import function
    from tensordsl.tensor import math as tm

    points = _as_points(pt)
    rng = np.random.default_rng(0) if rng is None else rng
    inputs = [TensorType(p.dtype, tuple(1 if s == 1 else None for s in p.shape))(f"input {i}")
              for i, p in enumerate(points)]
    output = fn(*inputs)
    if isinstance(output, (list, tuple)):
        raise TypeError("verify_grad: fn must return a single variable, got a "
                        f"{type(output).__name__} of {len(output)}")
    from tensordsl.graph.convert import as_tensor_variable

    output = as_tensor_variable(output)
    out_value = np.asarray(function(inputs, output, mode=mode, on_unused_input="ignore")(
        *points))
    if eps is None:  # the least precise input decides
        eps = max(TYPE_EPS.get(p.dtype.name, 1e-7) for p in points)
    tol = max(TYPE_TOL.get(p.dtype.name, 1e-4) for p in points)
    abs_tol = tol if abs_tol is None else abs_tol
    rel_tol = tol if rel_tol is None else rel_tol
    for _ in range(n_tests):
        proj = _projection(rng, out_value.shape).astype(output.dtype)
        cost = tm.sum(tm.mul(output, proj))
        cost_fn = function(inputs, cost, mode=mode, on_unused_input="ignore")
        grads = grad(cost, inputs, disconnected_inputs="ignore")
        analytic = function(inputs, grads, mode=mode, on_unused_input="ignore")(*points)
        numeric = numeric_grad(cost_fn, points, eps)
        _compare(analytic, numeric, abs_tol, rel_tol)


def _compare(analytic: list[np.ndarray], numeric: list[np.ndarray], abs_tol: float,
             rel_tol: float) -> None:
    for i, (a, n) in enumerate(zip(analytic, numeric)):
        a = np.asarray(a, dtype="float64")
        if a.shape != n.shape:
            raise GradientError(i, (), float("inf"), float("inf"), a.shape, n.shape, abs_tol,
                                rel_tol)
        abs_err = np.abs(a - n)
        rel_err = abs_err / np.maximum(np.abs(a) + np.abs(n), 1e-8)
        bad = (abs_err > abs_tol) & (rel_err > rel_tol) | np.isnan(a) != np.isnan(n)
        if bad.any():
            pos = tuple(int(j) for j in np.unravel_index(np.argmax(np.where(bad, abs_err, -1)),
                                                          a.shape))
            raise GradientError(i, pos, float(abs_err.max()), float(rel_err.max()),
                                float(a[pos]), float(n[pos]), abs_tol, rel_tol)
