"""Theano 1.0's module path theano.scan_module: scan, its variants and `until`."""

from tensordsl.scan import Scan, foldl, foldr, map, reduce, scan, until  # noqa: A004

__all__ = ["Scan", "foldl", "foldr", "map", "reduce", "scan", "until"]
