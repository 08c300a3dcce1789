"""Theano 1.0's module path tensor.nnet.sigm: the sigmoid family (defined in the package)."""

from tensordsl.tensor.nnet import (  # noqa: F401 (Theano's names under this path)
    hard_sigmoid,
    sigmoid,
    softplus,
    ultra_fast_sigmoid,
)

__all__ = ["hard_sigmoid", "sigmoid", "softplus", "ultra_fast_sigmoid"]
