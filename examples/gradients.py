"""Theano tutorial, "Derivatives in Theano": the gradient of x**2 and of the logistic function."""
import tensordsl as theano
from tensordsl import pp
from tensordsl import tensor as T

x = T.dscalar("x")
y = x ** 2
gy = T.grad(y, x)
print("pp(gy):", pp(gy))
f = theano.function([x], gy)
print("f(4) =", f(4))
print("f(94.2) =", f(94.2))
print("pp(optimized):", pp(f.maker.fgraph.outputs[0]))

x = T.dmatrix("x")
s = T.sum(1 / (1 + T.exp(-x)))
gs = T.grad(s, x)
dlogistic = theano.function([x], gs)
print("dlogistic =", dlogistic([[0, 1], [-1, -2]]))
