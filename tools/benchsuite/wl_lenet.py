"""The LeNet training step: convolution, pooling and their gradients (graphs in lenet_graphs).

Columns: numpy (hand-written forward and backward, the reference), PyTorch CPU eager,
JAX jit, PyTensor (Theano's API, when its conv2d and pool_2d exist) and tensordsl's
symbolic columns; numexpr, numba and the @compile decorator cannot express it as it is
written (n/a cells with the reason). Every column runs in a process of its own
(`isolated.py`): a training step is a loop of many parallel regions, and peers' thread
pools in one process disturb each other (and PyTorch would run with the PASSIVE OpenMP
wait policy bench.py sets for the shared process).
"""

from __future__ import annotations

from typing import Any

from benchsuite import tdsl
from benchsuite.cases import Case, NotApplicable, Run, noted, stepper
from benchsuite.env import jax_modules, require
from benchsuite.isolated import isolated
from benchsuite.lenet_graphs import (
    DATA,
    LR,
    PARAMS,
    jax_step,
    lenet_inputs,
    numpy_step,
    step_flops,
    symbolic_loss,
    torch_step,
)
from benchsuite.peers import jax_stepper, pytensor_linker


def _numpy(inp: dict[str, Any]) -> Run:
    run = stepper(numpy_step, tuple(inp[n] for n in DATA), tuple(inp[n] for n in PARAMS))
    return noted(run, "einsum on as_strided windows (optimize=True), reshape max-pool")


def _not_applicable(reason: str) -> Any:
    def factory(_inp: dict[str, Any]) -> Run:
        raise NotApplicable(reason)

    return factory


def _tensordsl_program(inp: dict[str, Any]) -> tdsl.Program:
    import tensordsl
    from tensordsl import tensor as T
    from tensordsl.tensor.signal.pool import pool_2d

    batch = len(inp["X"])
    with tensordsl.config.change_flags(floatX="float32"):
        X, Y = T.ftensor4("X"), T.fmatrix("Y")
        params = [tensordsl.shared(inp[n].copy(), name=n) for n in PARAMS]
        loss = symbolic_loss(T, T.nnet.conv2d, pool_2d, X, Y, params, batch)
        grads = tensordsl.grad(loss, params)
        updates = [(p, p - LR * g) for p, g in zip(params, grads)]
    return tdsl.Program([X, Y], loss, [inp["X"], inp["Y"]], updates=updates,
                        note="T.nnet.conv2d + signal.pool.pool_2d, tensordsl.grad")


def _pytensor(inp: dict[str, Any]) -> Run:
    pytensor, pt = require("pytensor"), require("pytensor.tensor")
    try:
        from pytensor.tensor.conv.abstract_conv import conv2d
        from pytensor.tensor.signal.pool import pool_2d
    except ImportError as exc:
        raise NotApplicable(f"this pytensor has no abstract conv2d / pool_2d ({exc})") \
            from None
    with pytensor.config.change_flags(floatX="float32"):
        X, Y = pt.ftensor4("X"), pt.fmatrix("Y")
        params = [pytensor.shared(inp[n].copy()) for n in PARAMS]
        loss = symbolic_loss(pt, conv2d, pool_2d, X, Y, params, len(inp["X"]))
        grads = pytensor.grad(loss, params)
        fn = pytensor.function([X, Y], loss,
                               updates=[(p, p - LR * g) for p, g in zip(params, grads)])

    def run() -> tuple:
        return (fn(inp["X"], inp["Y"]), *[p.get_value(borrow=True) for p in params])

    return noted(run, f"{pytensor_linker(fn)}, pytensor.grad, shared updates")


def _jax(inp: dict[str, Any]) -> Run:
    jax, jnp = jax_modules()
    run = jax_stepper(jax_step(jax, jnp), tuple(inp[n] for n in DATA),
                      tuple(inp[n] for n in PARAMS))
    return noted(run, "jit(value_and_grad) step, lax.conv_general_dilated + reduce_window")


def _torch(inp: dict[str, Any]) -> Run:
    torch = require("torch")
    return noted(torch_step(torch, inp), f"eager autograd, {torch.get_num_threads()} threads")


def step_impls() -> dict[str, Any]:
    """Every column's in-process factory (the child processes read this)."""
    impls: dict[str, Any] = {
        "numpy": _numpy,
        "numexpr": _not_applicable("numexpr has no convolution, matrix product or gradients"),
        "numba": _not_applicable("no numba column: conv/pool forward and backward would have "
                                 "to be written as loops by hand"),
        "pytensor": _pytensor,
        "jax": _jax,
        "torch": _torch,
    }
    impls.update(tdsl.symbolic_factories(_tensordsl_program))
    impls[tdsl.DECORATOR] = _not_applicable(
        "the numpy step uses as_strided windows and einsum, outside the decorator's subset")
    return impls


def lenet_cases(quick: bool) -> list[Case]:
    """LeNet SGD step, batch 500 of 28x28 float32 (batch 20 with --quick)."""
    batch = 20 if quick else 500
    impls = {column: isolated(__name__, "step_impls", column) for column in step_impls()}
    return [Case("lenet_step", f"float32, batch {batch}, conv 20+50 5x5, maxpool 2x2, "
                 f"500 tanh, 10 softmax", lambda: lenet_inputs(batch), impls,
                 rtol=1e-3, atol=1e-5, work=step_flops(batch), limit="blas_float32")]
