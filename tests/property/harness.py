"""The op-record harness shared by the property suites (in the style of jax's lax_test).

An `OpRecord` says how to build an expression from symbolic inputs, how numpy computes
the same thing, what dtype Theano 1.0's rules give, and how to draw its inputs.
`check_record` draws the inputs (random shapes with 0-size and size-1 dims, dtypes,
non-contiguous layouts), compiles the expression with `tensordsl.function` in
FAST_COMPILE mode and compares values and dtype with numpy. It also checks that the
call did not mutate its inputs.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import strategies as st

import tensordsl
from tests.strategies import arrays, broadcast_shapes, elements, tensor_types, tolerance

Domain = tuple[float | None, float | None]
NO_DOMAIN: Domain = (None, None)


@dataclass(frozen=True)
class OpRecord:
    """One op under test.

    build(*variables, **params) -> symbolic output
    ref(*arrays, **params)      -> numpy result (cast to the expected dtype afterwards)
    out_dtype(in_dtypes, **params) -> the dtype Theano 1.0's rules give
    inputs: strategy of (list of arrays, params dict)
    compute_in_out: numpy computes on inputs cast to the output dtype (float functions)
    loose: the implementation may reassociate or use another formula than `ref`
    """

    name: str
    build: Callable[..., Any]
    ref: Callable[..., Any]
    out_dtype: Callable[..., str]
    inputs: st.SearchStrategy[tuple[list[np.ndarray], dict[str, Any]]]
    compute_in_out: bool = False
    loose: bool = False

    def __repr__(self) -> str:
        return self.name


def ids(records: Sequence[OpRecord]) -> list[str]:
    """pytest ids for a record table."""
    return [r.name for r in records]


def check_record(record: OpRecord, data: st.DataObject, mode: Any = "FAST_COMPILE") -> None:
    """Draw one case for `record`, run it, compare with numpy (value and dtype).

    Other backends reuse the record tables by passing their own `mode`.
    """
    values, params = data.draw(record.inputs, label="inputs")
    in_dtypes = tuple(v.dtype.name for v in values)
    types = [data.draw(tensor_types(v.dtype.name, v.shape), label=f"type{i}")
             for i, v in enumerate(values)]
    variables = [t(f"x{i}") for i, t in enumerate(types)]
    out = record.build(*variables, **params)
    expected_dtype = record.out_dtype(in_dtypes, **params)
    assert out.dtype == expected_dtype, (
        f"{record.name}{in_dtypes}: symbolic dtype {out.dtype}, Theano rules give "
        f"{expected_dtype}")
    fn = tensordsl.function(variables, out, mode=mode)
    before = [v.copy() for v in values]
    got = fn(*values)
    for i, (v, b) in enumerate(zip(values, before)):
        np.testing.assert_array_equal(v, b, err_msg=f"input {i} was mutated")
    ref_args = [v.astype(expected_dtype) if record.compute_in_out else v for v in values]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's empty-slice warnings
        want = np.asarray(record.ref(*ref_args, **params)).astype(expected_dtype)
    # a loose record may compute intermediate results in a float32 input's precision
    tol = "float32" if record.loose and "float32" in in_dtypes else None
    assert_matches(got, want, expected_dtype, record.loose, record.name, tol)


def assert_matches(got: Any, want: np.ndarray, dtype: str, loose: bool = False,
                   what: str = "", tol_dtype: str | None = None) -> None:
    """`got` is an ndarray of `dtype` and of `want`'s shape and values (tolerance by dtype)."""
    assert isinstance(got, np.ndarray), f"{what}: got {type(got).__name__}, not an ndarray"
    assert got.dtype.name == dtype, f"{what}: result dtype {got.dtype}, expected {dtype}"
    assert got.shape == want.shape, f"{what}: result shape {got.shape}, expected {want.shape}"
    if got.dtype.kind in "fc":
        np.testing.assert_allclose(got, want, equal_nan=True, err_msg=what,
                                   **tolerance(tol_dtype or dtype, loose))
    else:
        np.testing.assert_array_equal(got, want, err_msg=what)


# -- input strategies -----------------------------------------------------------------------
@st.composite
def elemwise_inputs(draw: st.DrawFn, arg_dtypes: Sequence[Sequence[str]],
                    domains: Sequence[Domain] | None = None, min_side: int = 0
                    ) -> tuple[list[np.ndarray], dict[str, Any]]:
    """Arrays of mutually broadcastable shapes; argument i draws its dtype from arg_dtypes[i]."""
    n = len(arg_dtypes)
    domains = domains or [NO_DOMAIN] * n
    shapes = draw(broadcast_shapes(n, min_side=min_side))
    out = []
    for shape, choices, (lo, hi) in zip(shapes, arg_dtypes, domains):
        dtype = draw(st.sampled_from(list(choices)))
        out.append(draw(arrays(dtype, shape, elements(dtype, lo, hi))))
    return out, {}


def same(dtypes_: Sequence[str], n: int) -> list[Sequence[str]]:
    """The same dtype choices for each of n arguments."""
    return [dtypes_] * n


# -- Theano 1.0 dtype rules, written independently of tensordsl.dtypes ----------------------
_FLOAT_OF = {"bool": "float32", "int8": "float32", "int16": "float32", "uint8": "float32",
             "uint16": "float32", "int32": "float64", "int64": "float64",
             "uint32": "float64", "uint64": "float64"}


def upcast(in_dtypes: Sequence[str], **_: Any) -> str:
    """numpy array promotion."""
    return np.result_type(*[np.dtype(d) for d in in_dtypes]).name


def float_of(in_dtypes: Sequence[str], **_: Any) -> str:
    """Float functions: int8/int16/bool -> float32, wider ints -> float64, floats kept."""
    return upcast([_FLOAT_OF.get(d, d) for d in in_dtypes])


def boolean(in_dtypes: Sequence[str], **_: Any) -> str:
    """Comparisons."""
    return "bool"


def first(in_dtypes: Sequence[str], **_: Any) -> str:
    """The first input's dtype."""
    return in_dtypes[0]


def fixed(dtype: str) -> Callable[..., str]:
    """Always `dtype`."""
    return lambda in_dtypes, **_: dtype
