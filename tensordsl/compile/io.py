"""Theano's theano.compile.io: In (and its older name Param), Out."""

from tensordsl.runtime.function import In, Out, Param

__all__ = ["In", "Out", "Param"]
