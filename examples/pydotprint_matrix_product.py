"""The seed's matrix-product graph picture: writes matrix_dot_product.png here."""
import tensordsl as theano
from tensordsl import *

a = tensor.dmatrix()
b = tensor.dmatrix()
c = tensor.dot(a, b)
f = theano.function([a, b], c)
theano.printing.pydotprint(f, outfile="matrix_dot_product.png", var_with_name_simple=True)
