"""Tests of the Theano-tutorial-style programs in examples/tutorials against numpy."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

PROGRAMS = Path(__file__).resolve().parents[2] / "examples" / "tutorials"


def load_program(name: str) -> ModuleType:
    """Import examples/tutorials/<name>.py as a module (its sibling tutorial_data too)."""
    if str(PROGRAMS) not in sys.path:
        # the programs import tutorial_data as a sibling, as they do when run as scripts
        sys.path.insert(0, str(PROGRAMS))
    spec = importlib.util.spec_from_file_location(f"tutorial_{name}", PROGRAMS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
