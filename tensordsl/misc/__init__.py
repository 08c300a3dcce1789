"""Theano 1.0's module path theano.misc (safe_asarray)."""
