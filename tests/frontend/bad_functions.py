"""Functions using constructs the compiler rejects; `# <-` marks the line to blame."""

import os

import numpy as np


def while_loop(x):
    while x.sum() > 1.0:  # <-
        x = x / 2.0
    return x


def uses_print(x):
    print(x)  # <-
    return x


def try_except(x):
    try:  # <-
        y = np.log(x)
    except ValueError:
        y = x
    return y


def writes_argument(x):
    x[0] = 1.0  # <-
    return x


def inplace_on_argument(x):
    x += 1.0  # <-
    return x


def unknown_function(x):
    return os.path.join(x)  # <-


def mask_indexing(x):
    return x[x > 0]  # <-


def nonzero(x):
    return np.nonzero(x)  # <-


def array_condition(x):
    if x > 0:  # <-
        return x
    return -x


def loop_over_array(x):
    total = 0.0
    for row in x:  # <-
        total = total + row
    return total


def recursive(x):
    return recursive(x - 1.0)  # <-


def uses_lambda(x):
    f = lambda v: v * 2  # noqa: E731  # <-
    return f(x)


def list_comprehension(x):
    return [x * i for i in range(3)]  # <-


def with_statement(x):
    with np.errstate(all="ignore"):  # <-
        y = np.log(x)
    return y


def one_branch_only(x):
    if x.sum() > 0:
        y = x * 2.0
    return y  # <-


def branch_dtypes(x):
    if x.sum() > 0:  # <-
        y = x
    else:
        y = x.astype(np.int32)
    return y


def dynamic_range(x):
    acc = x
    for _ in range(x.shape[0]):  # <-
        acc = acc * 2.0
    return acc


def aliased_write(x):
    u = x.copy()
    v = u
    u[0] = 5.0  # <-
    return v


def write_through_view(x):
    u = x.copy()
    row = u[1:]
    row[0] = 1.0  # <-
    return u


def helper_writes(a):
    a[0] = 0.0  # <-
    return a


def inlined_write(x):
    return helper_writes(x)


def global_statement(x):
    global COUNTER  # <-
    return x


def nested_def(x):
    def inner(v):  # <-
        return v
    return inner(x)


def one_branch_returns(x):
    if x.sum() > 0:  # <-
        return x
    y = x * 2.0  # noqa: F841


def unsupported_method(x):
    return x.cumsum()  # <-
