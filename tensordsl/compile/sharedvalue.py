"""Theano's theano.compile.sharedvalue: shared and SharedVariable."""

from tensordsl.runtime.shared import SharedVariable, shared

__all__ = ["SharedVariable", "shared"]
