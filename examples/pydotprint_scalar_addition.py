"""The seed's scalar-addition graph picture: writes scalar_addition.png here."""
import tensordsl as theano
from tensordsl import *

a = tensor.dscalar()
b = tensor.dscalar()
c = a + b
f = theano.function([a, b], c)
theano.printing.pydotprint(f, outfile="scalar_addition.png", var_with_name_simple=True)
