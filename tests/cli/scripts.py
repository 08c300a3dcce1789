"""Scripts the CLI tests run the `tensordsl` command on (written to a temp folder)."""

GOOD = '''
import numpy as np
import tensordsl
from tensordsl import tensor as T

@tensordsl.compile
def scaled_tanh(x, w):
    return np.tanh(x * w).sum(axis=1) + 1.0

@tensordsl.compile(signature="f4[:, :]")
def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)

def plain(a, b):
    return np.exp(-a) * b, a - b

x = T.dmatrix("x")
y = T.dmatrix("y")
product = tensordsl.function([x, y], T.dot(x, y) + 1)
print("this line is captured, not printed by the command")
'''

BAD_CONSTRUCT = '''
import numpy as np
import tensordsl

@tensordsl.compile
def looping(x):
    while x.sum() > 0:
        x = x - 1
    return x
'''
