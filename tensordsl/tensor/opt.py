"""Theano 1.0's module path theano.tensor.opt, for the names programs use from it:
Assert and assert_op (tensordsl's rewrites live in tensordsl.rewrite)."""

from tensordsl.ops.assert_op import Assert

assert_op = Assert()

__all__ = ["Assert", "assert_op"]
