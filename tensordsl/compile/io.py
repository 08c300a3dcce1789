"""Theano's theano.compile.io: In (and its older name Param)."""

from tensordsl.runtime.function import In, Param

__all__ = ["In", "Param"]
