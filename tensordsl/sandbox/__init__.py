"""Theano's `theano.sandbox` names that real programs import: `rng_mrg.MRG_RandomStreams`
(and the multinomial ops it uses)."""
