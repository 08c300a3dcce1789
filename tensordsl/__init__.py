"""tensordsl: a tensor-expression compiler with a Theano-style API.

    import tensordsl as theano
    from tensordsl import tensor as T
    x, y = T.dscalars("x", "y")
    f = theano.function([x, y], x + y)
    f(1.5, 2.5)  # array(4.0)
"""

from __future__ import annotations

import importlib
from typing import Any

from tensordsl import tensor
from tensordsl.config import config
from tensordsl.errors import CompileError, UnusedInputError
from tensordsl.graph import Apply, Constant, FunctionGraph, Op, TensorType, Variable
from tensordsl.runtime.function import Function, In, Out, Param, function
from tensordsl.runtime.mode import Mode
from tensordsl.runtime.shared import SharedVariable, shared

__version__ = "0.1.0"

# `from theano.tensor.nnet import ...` resolves to tensordsl's modules (theano_compat.py)
from tensordsl import theano_compat  # noqa: E402

theano_compat.install()

# Submodules and functions loaded on first use (they import much of the package).
_LAZY = {
    "printing": ("tensordsl.printing", None),
    "gradient": ("tensordsl.gradient", None),
    "grad": ("tensordsl.frontend", "grad"),  # symbolic grad, or grad of a Python function
    "ifelse": ("tensordsl.ifelse", None),
    "scan": ("tensordsl.scan", "scan"),
    "rewrite": ("tensordsl.rewrite", None),
    "testing": ("tensordsl.testing", None),
    # a module path (theano.compile.function, .io.In) that is also callable as the
    # @tensordsl.compile decorator of tensordsl.frontend
    "compile": ("tensordsl.compile", None),
    "value_and_grad": ("tensordsl.frontend", "value_and_grad"),
    "pp": ("tensordsl.printing", "pp"),
    "debugprint": ("tensordsl.printing", "debugprint"),
    "dprint": ("tensordsl.printing", "debugprint"),
    "sandbox": ("tensordsl.sandbox", None),
    "opencl": ("tensordsl.opencl", None),
    "scalar": ("tensordsl.scalar", None),
    # Theano 1.0's root names for scan's variants, scan_module and as_op
    "scan_module": ("tensordsl.scan_module", None),
    "map": ("tensordsl.scan", "map"),
    "reduce": ("tensordsl.scan", "reduce"),
    "foldl": ("tensordsl.scan", "foldl"),
    "foldr": ("tensordsl.scan", "foldr"),
    "as_op": ("tensordsl.compile.ops", "as_op"),
    "OpFromGraph": ("tensordsl.compile.builders", "OpFromGraph"),
    "clone": ("tensordsl.graph.replace", "clone"),
    "dot": ("tensordsl.tensor", "dot"),
    "gof": ("tensordsl.gof", None),
    "misc": ("tensordsl.misc", None),
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'tensordsl' has no attribute {name!r}")
    module_name, attr = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    if attr is not None or name != module_name.rsplit(".", 1)[-1]:
        globals()[name] = value
    return value


__all__ = ["Apply", "CompileError", "Constant", "Function", "FunctionGraph", "In", "Mode", "Op",
           "Out", "Param", "SharedVariable", "TensorType", "UnusedInputError", "Variable", "config",
           "function", "shared", "tensor"]
