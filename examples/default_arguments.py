"""Theano tutorial: default values for arguments, and inputs passed by name (In)."""
from tensordsl import In, function
from tensordsl import tensor as T

x, y = T.dscalars("x", "y")
z = x + y
f = function([x, In(y, value=1)], z)
print("f(33) =", f(33))
print("f(33, 2) =", f(33, 2))

x, y, w = T.dscalars("x", "y", "w")
z = (x + y) * w
f = function([x, In(y, value=1), In(w, value=2, name="w_by_name")], z)
print("f(33) =", f(33))
print("f(33, 2) =", f(33, 2))
print("f(33, 0, 1) =", f(33, 0, 1))
print("f(33, w_by_name=1) =", f(33, w_by_name=1))
print("f(33, w_by_name=1, y=0) =", f(33, w_by_name=1, y=0))
