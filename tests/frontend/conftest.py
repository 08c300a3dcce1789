"""Shared helpers for the frontend tests: which targets exist, and input strategies."""

import re

import numpy as np
from hypothesis import strategies as st


def available_targets():
    """'numpy' plus every compiled target whose backend can run here."""
    from tensordsl.backends.registry import backend_names, get_backend
    from tensordsl.errors import CompileError

    targets = []
    for name in backend_names():
        try:
            ok, why = get_backend(name).available()
        except CompileError as err:
            ok, why = False, str(err)
        if ok:
            targets.append(name)
        else:
            print(f"frontend tests: target {name!r} skipped: {why}")
    return targets


_SPEC = re.compile(r"^(f8|f4|i4|i8)(\+?)\[([a-z0-9,]*)\](?:%([a-z]))?$")


def _layout(array, how):
    """The same values in another memory layout (non-contiguous inputs)."""
    if array.ndim == 0 or array.size == 0:
        return array
    if how == "reversed":
        return array[::-1].copy()[::-1]
    if how == "strided":
        big = np.repeat(array, 2, axis=0)
        return big[::2]
    if how == "fortran":
        return np.asfortranarray(array)
    return array


@st.composite
def arguments(draw, specs, min_dim=1):
    """Draw arguments for `specs` (see tests/frontend/corpus.py) with shared dims."""
    dims = {name: draw(st.integers(min_dim, 5)) for name in "nmk"}
    layout = draw(st.sampled_from(["c", "reversed", "strided", "fortran"]))
    args = []
    for spec in specs:
        if spec in ("float", "float+"):
            lo = 0.1 if spec == "float+" else -3.0
            args.append(draw(st.floats(lo, 3.0, allow_nan=False)))
            continue
        if spec == "int":
            args.append(draw(st.integers(-5, 5)))
            continue
        code, positive, shape_text, modulo = _SPEC.match(spec).groups()
        shape = tuple(dims[d] if d.isalpha() else int(d) for d in shape_text.split(",") if d)
        dtype = {"f8": np.float64, "f4": np.float32, "i4": np.int32, "i8": np.int64}[code]
        if modulo and dims[modulo] == 0:
            shape = (0,)  # no valid index into an empty dim
        size = int(np.prod(shape))
        if size == 0:
            values = []
        elif modulo:
            values = draw(st.lists(st.integers(0, dims[modulo] - 1), min_size=size,
                                   max_size=size))
        elif code.startswith("i"):
            values = draw(st.lists(st.integers(-20, 20), min_size=size, max_size=size))
        else:
            lo = 0.125 if positive else -3.0
            values = draw(st.lists(st.floats(lo, 3.0, allow_nan=False, width=32),
                                   min_size=size, max_size=size))
        args.append(_layout(np.asarray(values, dtype=dtype).reshape(shape), layout))
    return args
