"""Theano's tensor.signal: `from tensordsl.tensor.signal import pool` (and `conv`)."""

from tensordsl.tensor.signal import conv, pool

__all__ = ["conv", "pool"]
