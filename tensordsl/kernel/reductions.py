"""Reduction kinds, described once: the Reduce op, fusion, kernel lowering and every
renderer read them from here.

A kind is named after the binary scalar op that combines two partial results. Its
`identity` is the value of an empty reduction and the accumulator's start (None for
maximum/minimum: an empty one is an error, and accumulators start at -inf/+inf or the
integer extremes); `accumulates` kinds take numpy's `dtype=` (sums and products
accumulate in the output dtype); `logical` kinds produce bool.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ReductionKind:
    """One way to reduce: its combining scalar op, numpy reducer and identity."""

    name: str
    numpy: Callable[..., Any]
    identity: Any
    accumulates: bool = False
    logical: bool = False
    # fusion puts it into an elementwise kernel (logical kinds stay single-op kernels:
    # their bool accumulators gain nothing from fusion)
    fusable: bool = True


REDUCTIONS: dict[str, ReductionKind] = {k.name: k for k in [
    ReductionKind("add", np.sum, 0, accumulates=True),
    ReductionKind("mul", np.prod, 1, accumulates=True),
    ReductionKind("maximum", np.max, None),
    ReductionKind("minimum", np.min, None),
    ReductionKind("and_", np.all, True, logical=True, fusable=False),
    ReductionKind("or_", np.any, False, logical=True, fusable=False),
]}


def reduction(kind: str) -> ReductionKind:
    """The ReductionKind called `kind` (ValueError listing the known ones)."""
    try:
        return REDUCTIONS[kind]
    except KeyError:
        raise ValueError(f"unknown reduction {kind!r}; known: {', '.join(REDUCTIONS)}") from None
