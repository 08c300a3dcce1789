"""The seed's matrix multiplication program.

Run:  python examples/matrix_product.py
Prints
    [[11.  0.]
     [35. 20.]]
The seed prints 25 for the first entry of the second row: a typo. That entry is
row 2 of a times column 1 of b, 4*3 + 11*1 + 2*6 = 35 (the formula above the seed's
listing says 35 too), so this script prints 35.
"""

import tensordsl as theano
from tensordsl import *  # the seed's `from theano import *` (it brings `tensor`)

a = tensor.dmatrix()
b = tensor.dmatrix()
c = tensor.dot(a, b)
f = theano.function([a, b], c)
d = f([[0, -1, 2], [4, 11, 2]], [[3, -1], [1, 2], [6, 1]])
print(d)
