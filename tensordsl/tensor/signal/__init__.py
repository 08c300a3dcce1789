"""Theano's tensor.signal: `from tensordsl.tensor.signal import pool`."""

from tensordsl.tensor.signal import pool

__all__ = ["pool"]
