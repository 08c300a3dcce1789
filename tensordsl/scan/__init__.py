"""Loops: `scan` (Theano's) and the Scan op it builds.

`tensordsl.scan(...)` must call the function even after this package has been
imported (importing a submodule makes `tensordsl.scan` the package object), so the
package itself is callable and forwards to `scan`.
"""

import sys
import types
from typing import Any

from tensordsl.scan.basic import build_scan, scan, until
from tensordsl.scan.op import Scan
from tensordsl.scan.views import foldl, foldr, map, reduce  # noqa: A004 (Theano's names)

__all__ = ["Scan", "build_scan", "foldl", "foldr", "map", "reduce", "scan", "until"]


class _CallableModule(types.ModuleType):
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return scan(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
