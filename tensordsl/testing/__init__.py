"""Property-based testing of compiled functions (hypothesis).

    import tensordsl
    from tensordsl.testing import assert_equivalent

    @tensordsl.compile
    def f(x, y):
        return np.exp(x) * y

    assert_equivalent(f, "f8[:], f8[:]")        # each target against f's own Python

Strategies: `arrays(dtype, shape)`, `shapes(ndim)`, `inputs_for(fn, signature)`.
"""

from __future__ import annotations

from tensordsl.testing.equivalence import (
    NotEquivalent,
    Tolerance,
    assert_equivalent,
    compare,
    equivalence_test,
    graph_ulps,
    target_status,
)
from tensordsl.testing.strategies import LAYOUTS, arrays, elements, inputs_for, shapes

__all__ = ["LAYOUTS", "NotEquivalent", "Tolerance", "arrays", "assert_equivalent", "compare",
           "elements", "equivalence_test", "graph_ulps", "inputs_for", "shapes",
           "target_status"]
