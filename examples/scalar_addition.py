"""The seed's first programs: adding two scalars (the installation test and "Full Program").

Run:  python examples/scalar_addition.py
Prints 4.0 (f(1.5, 2.5), the installation check) and then 9.0 (f(3.5, 5.5)).
"""

import tensordsl as theano
from tensordsl import *  # the seed's `from theano import *` (it brings `tensor`)

# Testing the installation
a = tensor.dscalar()
b = tensor.dscalar()
c = a + b
f = theano.function([a, b], c)
d = f(1.5, 2.5)
print(d)

# A trivial Theano expression: the full program
a = tensor.dscalar()
b = tensor.dscalar()
c = a + b
f = theano.function([a, b], c)
d = f(3.5, 5.5)
print(d)
