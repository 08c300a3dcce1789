"""Theano tutorial, scan: evaluate a polynomial from its coefficients.

scan walks the coefficients and the exponents 0, 1, 2... together (it stops at the
shorter sequence), computing each term; the terms are then summed.
"""
import numpy

import tensordsl as theano
from tensordsl import tensor as T

coefficients = T.vector("coefficients")
x = T.scalar("x")
max_coefficients_supported = 10000

# Generate the components of the polynomial
components, updates = theano.scan(
    fn=lambda coefficient, power, free_variable: coefficient * (free_variable ** power),
    outputs_info=None,
    sequences=[coefficients, T.arange(max_coefficients_supported)],
    non_sequences=x)
# Sum them up
polynomial = components.sum()

calculate_polynomial = theano.function(inputs=[coefficients, x], outputs=polynomial)

test_coefficients = numpy.asarray([1, 0, 2], dtype=numpy.float32)
test_value = 3
print("polynomial =", calculate_polynomial(test_coefficients, test_value))
print("expected =", 1.0 * (3 ** 0) + 0.0 * (3 ** 1) + 2.0 * (3 ** 2))
