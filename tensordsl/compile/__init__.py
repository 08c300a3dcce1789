"""Theano's `theano.compile` module path: function, In, Param, Mode, shared.

`tensordsl.compile` is also the decorator that compiles plain numpy functions
(tensordsl.frontend.compile): calling this module forwards to it, so both
`@tensordsl.compile` and `from tensordsl.compile import function` work.
"""

from __future__ import annotations

import sys
import types
from typing import Any

# the package's own bindings (made when tensordsl was imported), so a monkeypatched
# runtime.function at the time of this lazy import is not captured
from tensordsl import Function, In, Param, function
from tensordsl.compile import builders, io, mode, ops, sharedvalue  # noqa: F401 - Theano's
from tensordsl.compile.builders import OpFromGraph
from tensordsl.runtime.mode import PREDEFINED, Mode, get_mode
from tensordsl.runtime.shared import SharedVariable, shared

FAST_COMPILE = PREDEFINED["FAST_COMPILE"]
FAST_RUN = PREDEFINED["FAST_RUN"]
DebugMode = PREDEFINED["DEBUG_MODE"]


class _CallableModule(types.ModuleType):
    """This module, callable as the tensordsl.compile decorator."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from tensordsl.frontend import compile as frontend_compile

        return frontend_compile(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["DebugMode", "FAST_COMPILE", "FAST_RUN", "Function", "In", "Mode", "OpFromGraph",
           "Param",
           "SharedVariable", "function", "get_mode", "io", "mode", "shared", "sharedvalue"]
