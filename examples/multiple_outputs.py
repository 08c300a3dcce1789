"""Theano tutorial: a function with several outputs (difference, its absolute value, square)."""
import tensordsl as theano
from tensordsl import tensor as T

a, b = T.dmatrices("a", "b")
diff = a - b
abs_diff = abs(diff)
diff_squared = diff ** 2
f = theano.function([a, b], [diff, abs_diff, diff_squared])

d, ad, d2 = f([[1, 1], [1, 1]], [[0, 1], [2, 3]])
print("diff =", d)
print("abs_diff =", ad)
print("diff_squared =", d2)
