"""Theano's `theano.sandbox` names that real programs import: `rng_mrg.MRG_RandomStreams`
(and the multinomial ops it uses)."""

from __future__ import annotations

import importlib
from typing import Any

_SUBMODULES = ("rng_mrg", "multinomial")


def __getattr__(name: str) -> Any:
    """`tensordsl.sandbox.rng_mrg` works after `import tensordsl` alone (as in Theano)."""
    if name in _SUBMODULES:
        return importlib.import_module(f"tensordsl.sandbox.{name}")
    raise AttributeError(f"module 'tensordsl.sandbox' has no attribute {name!r}")
