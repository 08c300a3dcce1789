"""Theano tutorial, "Computing More than one Thing at the Same Time": the logistic function.

s(x) = 1 / (1 + exp(-x)), applied elementwise to a matrix, and the same curve written
with tanh: s(x) = (1 + tanh(x / 2)) / 2.
"""
import tensordsl as theano
from tensordsl import tensor as T

x = T.dmatrix("x")
s = 1 / (1 + T.exp(-x))
logistic = theano.function([x], s)
print("logistic =", logistic([[0, 1], [-1, -2]]))

s2 = (1 + T.tanh(x / 2)) / 2
logistic2 = theano.function([x], s2)
print("logistic2 =", logistic2([[0, 1], [-1, -2]]))
