"""The seed's shared variable program: get and set the value of a shared variable.

Run:  python examples/shared_variables.py
"""

import numpy

import tensordsl as theano

W = theano.shared(numpy.asarray([0.1, 0.25, 0.15, 0.3]), 'W')
print("Original: ", W.get_value())
print("Setting new values (0.5, 0.2, 0.4, 0.2)")
W.set_value([0.5, 0.2, 0.4, 0.2])
print("After modifications:", W.get_value())
