"""Random streams: Theano's MRG_RandomStreams (MRG31k3p) and RandomStreams.

Each random variable owns a shared state with a default update, so every call of a
compiled function draws new numbers; `seed()` restarts every stream.
"""
import numpy as np

import tensordsl as theano
from tensordsl import tensor as T
from tensordsl.sandbox.rng_mrg import MRG_RandomStreams
from tensordsl.tensor.shared_randomstreams import RandomStreams

srng = MRG_RandomStreams(seed=1234)
u = srng.uniform(size=(4,), nstreams=4)
draw = theano.function([], u)
print("first uniform draw =", draw().tolist())
print("second uniform draw =", draw().tolist())
srng.seed(1234)
print("after seed(1234) =", draw().tolist())

# dropout: a 0/1 mask that changes at each call; gradients flow to w through the mask
x = T.dmatrix("x")
w = theano.shared(np.ones((3, 2)), name="w")
mask = srng.binomial(size=(2, 3), p=0.5, dtype="float64")
hidden = T.dot(x * mask, w)
step = theano.function([x], [mask, theano.grad(hidden.sum(), w)])
m, g = step(np.ones((2, 3)))
print("dropout mask =", m.tolist())
print("gradient of w =", g.tolist())

# the older API on numpy Generators
rs = RandomStreams(seed=234)
normal = rs.normal(size=(2, 2))
sample = theano.function([], normal)
state = rs.state_updates[0][0]
saved = state.get_value()  # a numpy Generator
a = sample()
state.set_value(saved)
print("RandomStreams repeat equal =", bool(np.array_equal(sample(), a)))
