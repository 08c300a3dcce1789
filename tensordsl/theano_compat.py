"""`import theano.X.Y` resolves to `tensordsl.X.Y` once tensordsl is imported.

Theano programs import submodules by path (`from theano.tensor.nnet import conv2d`,
`from theano.sandbox.rng_mrg import MRG_RandomStreams`). After `import tensordsl as
theano` the name `theano` is only a local alias, so such imports would fail. This module
installs an import finder that answers `theano` and `theano.<path>` with the
`tensordsl` module objects (the same objects, never a second copy). It sits first on
`sys.meta_path`: otherwise the path finder would load `tensordsl/<path>.py` a second
time under the name `theano.<path>` (the alias's `__path__` is tensordsl's folder). A
real Theano installation wins: `theano` is aliased only when no other finder finds it,
and `theano.<path>` only while `theano` is the alias.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from types import ModuleType
from typing import Any

ALIAS, TARGET = "theano", "tensordsl"


class _AliasLoader(importlib.abc.Loader):
    """Loads `theano.<path>` as the module `tensordsl.<path>` itself."""

    def __init__(self, real: str) -> None:
        self.real = real

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        return importlib.import_module(self.real)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the real module was executed when it was imported."""


class TheanoAliasFinder(importlib.abc.MetaPathFinder):
    """Finds `theano[.path]` as `tensordsl[.path]` when that module exists."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None
                  ) -> importlib.machinery.ModuleSpec | None:
        if fullname == ALIAS:
            if importlib.machinery.PathFinder.find_spec(ALIAS) is not None:
                return None  # a real Theano is installed
        elif not fullname.startswith(ALIAS + ".") or \
                sys.modules.get(ALIAS) is not sys.modules.get(TARGET):
            return None
        real = TARGET + fullname[len(ALIAS):]
        try:
            if importlib.util.find_spec(real) is None:
                return None
        except ModuleNotFoundError:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(real))


def install() -> None:
    """Put the finder first on sys.meta_path (once)."""
    if not any(isinstance(f, TheanoAliasFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, TheanoAliasFinder())
