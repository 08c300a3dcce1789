"""The training-step graphs written once over a namespace (tensordsl.tensor, pytensor.tensor,
jax.numpy), with tensordsl's gradients from tensordsl.grad when it exists and otherwise the
hand-derived gradient graph (the same formulas as the numpy step in wl_train.py).
"""

from __future__ import annotations

from typing import Any

from benchsuite import tdsl
from benchsuite.cases import Run, noted
from benchsuite.env import jax_modules, require
from benchsuite.peers import pytensor_linker

HAND_GRAD = "tensordsl.grad not available: hand-derived gradient graph"


def logreg_graph(T: Any, x: Any, y: Any, w: Any, b: Any) -> tuple[Any, Any]:
    """(p, cost): sigmoid output and mean cross-entropy + 0.01*||w||²."""
    p = 1 / (1 + T.exp(-(T.dot(x, w) + b)))
    cost = T.mean(-y * T.log(p) - (1 - y) * T.log(1 - p)) + 0.01 * T.sum(w * w)
    return p, cost


def logreg_hand_grads(T: Any, x: Any, y: Any, w: Any, p: Any, n: int) -> tuple[Any, Any]:
    """(d cost/d w, d cost/d b), derived by hand."""
    err = p - y
    return T.dot(x.T, err) / float(n) + 0.02 * w, T.mean(err)


def mlp_graph(T: Any, X: Any, Y: Any, W1: Any, b1: Any, W2: Any, b2: Any) -> tuple:
    """(h_pre, h, e, s, loss) of relu(X@W1+b1)@W2+b2 under softmax cross-entropy."""
    h_pre = T.dot(X, W1) + b1
    h = T.maximum(h_pre, 0)
    z = T.dot(h, W2) + b2
    zmax = T.max(z, axis=1, keepdims=True)
    e = T.exp(z - zmax)
    s = T.sum(e, axis=1, keepdims=True)
    loss = -T.mean(T.sum(Y * (z - zmax - T.log(s)), axis=1))
    return h_pre, h, e, s, loss


def mlp_hand_grads(T: Any, X: Any, Y: Any, W2: Any, parts: tuple, batch: int) -> list[Any]:
    """Gradients of the loss for W1, b1, W2, b2, derived by hand."""
    h_pre, h, e, s, _ = parts
    dz = (e / s - Y) / float(batch)
    dh = T.switch(h_pre > 0, T.dot(dz, W2.T), 0)
    return [T.dot(X.T, dh), T.sum(dh, axis=0), T.dot(h.T, dz), T.sum(dz, axis=0)]


# ---------------------------------------------------------------- tensordsl


def logreg_program(inp: dict[str, Any]) -> tdsl.Program:
    """tensordsl: shared w, b updated by one gradient step; output the cost."""
    import tensordsl
    from tensordsl import tensor as T

    x, y = T.dmatrix("x"), T.dvector("y")
    w, b = tensordsl.shared(inp["w"], name="w"), tensordsl.shared(inp["b"], name="b")
    p, cost = logreg_graph(T, x, y, w, b)
    grad = tdsl.grad()
    gw, gb = grad(cost, [w, b]) if grad else logreg_hand_grads(T, x, y, w, p, len(inp["X"]))
    return tdsl.Program([x, y], cost, [inp["X"], inp["y"]],
                        updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)],
                        note="gradients from tensordsl.grad" if grad else HAND_GRAD)


def mlp_program(inp: dict[str, Any]) -> tdsl.Program:
    """tensordsl: shared W1, b1, W2, b2 updated by one SGD step; output the loss."""
    import tensordsl
    from tensordsl import tensor as T

    with tensordsl.config.change_flags(floatX="float32"):
        X, Y = T.fmatrix("X"), T.fmatrix("Y")
        params = [tensordsl.shared(inp[n], name=n) for n in ("W1", "b1", "W2", "b2")]
        parts = mlp_graph(T, X, Y, *params)
        grad = tdsl.grad()
        grads = (grad(parts[-1], params) if grad
                 else mlp_hand_grads(T, X, Y, params[2], parts, len(inp["X"])))
        updates = [(p, p - 0.01 * g) for p, g in zip(params, grads)]
    return tdsl.Program([X, Y], parts[-1], [inp["X"], inp["Y"]], updates=updates,
                        note="gradients from tensordsl.grad" if grad else HAND_GRAD)


# ---------------------------------------------------------------- pytensor


def _pytensor_step(fn: Any, args: list[Any], params: list[Any]) -> Run:
    def run() -> tuple:
        return (fn(*args), *[p.get_value(borrow=True) for p in params])

    return noted(run, f"{pytensor_linker(fn)}, pytensor.grad, shared updates")


def pytensor_logreg(inp: dict[str, Any]) -> Run:
    """pytensor.function with shared w, b and pytensor.grad."""
    pytensor, pt = require("pytensor"), require("pytensor.tensor")
    import numpy as np

    x, y = pt.dmatrix("x"), pt.dvector("y")
    w, b = pytensor.shared(inp["w"].copy()), pytensor.shared(np.array(inp["b"]))
    _, cost = logreg_graph(pt, x, y, w, b)
    gw, gb = pytensor.grad(cost, [w, b])
    fn = pytensor.function([x, y], cost, updates=[(w, w - 0.1 * gw), (b, b - 0.1 * gb)])
    return _pytensor_step(fn, [inp["X"], inp["y"]], [w, b])


def pytensor_mlp(inp: dict[str, Any]) -> Run:
    """pytensor.function with shared MLP parameters and pytensor.grad."""
    pytensor, pt = require("pytensor"), require("pytensor.tensor")
    with pytensor.config.change_flags(floatX="float32"):
        X, Y = pt.fmatrix("X"), pt.fmatrix("Y")
        params = [pytensor.shared(inp[n].copy()) for n in ("W1", "b1", "W2", "b2")]
        loss = mlp_graph(pt, X, Y, *params)[-1]
        grads = pytensor.grad(loss, params)
        fn = pytensor.function([X, Y], loss,
                               updates=[(p, p - 0.01 * g) for p, g in zip(params, grads)])
    return _pytensor_step(fn, [inp["X"], inp["Y"]], params)


# ---------------------------------------------------------------- jax


def jax_logreg_step() -> Any:
    """A pure jax step(X, y, w, b) -> (cost, w, b) using jax.value_and_grad."""
    jax, jnp = jax_modules()

    def loss(w: Any, b: Any, X: Any, y: Any) -> Any:
        return logreg_graph(jnp, X, y, w, b)[1]

    value_and_grad = jax.value_and_grad(loss, argnums=(0, 1))

    def step(X: Any, y: Any, w: Any, b: Any) -> tuple:
        cost, (gw, gb) = value_and_grad(w, b, X, y)
        return cost, w - 0.1 * gw, b - 0.1 * gb

    return step


def jax_mlp_step() -> Any:
    """A pure jax step(X, Y, W1, b1, W2, b2) -> (loss, *params) using jax.value_and_grad."""
    jax, jnp = jax_modules()

    def loss(params: tuple, X: Any, Y: Any) -> Any:
        return mlp_graph(jnp, X, Y, *params)[-1]

    value_and_grad = jax.value_and_grad(loss)

    def step(X: Any, Y: Any, *params: Any) -> tuple:
        value, grads = value_and_grad(params, X, Y)
        return (value, *[p - 0.01 * g for p, g in zip(params, grads)])

    return step
