"""Theano tutorial, "Computing the Jacobian" and "Computing the Hessian" (with scan)."""
import tensordsl as theano
from tensordsl import tensor as T

x = T.dvector("x")
y = x ** 2
J, updates = theano.scan(lambda i, y, x: T.grad(y[i], x),
                         sequences=T.arange(y.shape[0]), non_sequences=[y, x])
f = theano.function([x], J, updates=updates)
print("J =", f([4, 4]))
jacobian = theano.function([x], theano.gradient.jacobian(y, x))
print("jacobian =", jacobian([4, 4]))

x = T.dvector("x")
y = x ** 2
cost = y.sum()
gy = T.grad(cost, x)
H, updates = theano.scan(lambda i, gy, x: T.grad(gy[i], x),
                         sequences=T.arange(gy.shape[0]), non_sequences=[gy, x])
f = theano.function([x], H, updates=updates)
print("H =", f([4, 4]))
hessian = theano.function([x], theano.gradient.hessian(cost, x))
print("hessian =", hessian([4, 4]))
