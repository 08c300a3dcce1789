"""Theano 1.0's module path theano.tensor.sharedvar: TensorSharedVariable (tensordsl's
SharedVariable, which holds tensors only) and the constructors."""

from tensordsl.runtime.shared import SharedVariable, shared

TensorSharedVariable = SharedVariable
tensor_constructor = shared

__all__ = ["TensorSharedVariable", "tensor_constructor"]
