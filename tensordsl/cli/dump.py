"""`tensordsl dump`: write the kernel sources of compiled functions and a manifest.

For each function, signature and target: the rewritten graph is built (and, for a
compiled target, compiled: the cache is filled, nothing is run), each kernel's source
is written to its own file and `manifest.json` records the function, signature, each
kernel's file, entry point and argument layout, the rewritten graph (debugprint), the
compiler and flags, and the nodes the target runs on the host. Output folders:
`OUT/NAME/TARGET/`, or `OUT/NAME/sN/TARGET/` when several signatures are given.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Any

from tensordsl.cli.loading import UsageError
from tensordsl.cli.sources import EXTENSIONS, host_nodes, kernel_sources

MANIFEST = "manifest.json"


@dataclasses.dataclass
class Compiled:
    """One function compiled for one signature and target: what a dump writes."""

    name: str
    signature: str
    target: str
    mode: str
    fgraph: Any


def parse_signatures(signatures: list[str] | None) -> list[Any]:
    """TensorType lists of each `--signature` (UsageError when malformed)."""
    from tensordsl.frontend.signature import parse_signature

    out = []
    for text in signatures or []:
        try:
            out.append(parse_signature(text))
        except (ValueError, TypeError) as err:
            raise UsageError(f"malformed --signature {text!r}: {err}") from None
    return out


def _mode(mode: str, target: str) -> Any:
    from tensordsl.runtime.mode import get_mode

    try:
        return dataclasses.replace(get_mode(mode), backend=target)
    except ValueError as err:
        raise UsageError(str(err)) from None


def compile_for(name: str, obj: Any, types: list[Any] | None, target: str,
                mode: str) -> Compiled:
    """Build and compile `obj` for `target` (raises CompileError from the user's code)."""
    from tensordsl.frontend import CompiledFunction
    from tensordsl.runtime.function import Function, function

    if isinstance(obj, Function):
        ins = [i.variable for i in obj.maker.inputs]
        sig = ", ".join(str(v.type) for v in ins)
        if types is not None and [str(t) for t in types] != [str(v.type) for v in ins]:
            raise UsageError(f"{name} is a tensordsl.function of ({sig}); --signature "
                             f"({', '.join(map(str, types))}) does not match it")
        if obj.maker.mode.backend == target and obj.maker.mode.name == mode:
            return Compiled(name, sig, target, mode, obj.maker.fgraph)
        rebuilt = function(obj.maker.inputs, obj.maker.outputs, mode=_mode(mode, target),
                           on_unused_input="ignore")
        return Compiled(name, sig, target, mode, rebuilt.maker.fgraph)
    py_func = obj.py_func if isinstance(obj, CompiledFunction) else obj
    if types is None:
        declared = getattr(obj, "_declared", None)
        if not declared:
            raise UsageError(f"{name} is a Python function: give its argument types with "
                             f"--signature, e.g. --signature \"f8[:], f8[:]\"")
        types = list(declared[0].built_types)
    try:
        compiled = CompiledFunction(py_func, target=target, signature=types,
                                    mode=_mode(mode, target))
    except TypeError as err:  # the signature's arity
        raise UsageError(f"{name}: {err}") from None
    sig = ", ".join(compiled.signatures)
    return Compiled(name, sig, target, mode, compiled.graph())


def compiler_info(target: str) -> dict[str, Any] | None:
    """The compiler and flags a target's kernels are built with (None: not compiled)."""
    if target != "c":
        return None
    from tensordsl.backends.c import build
    from tensordsl.config import config

    return {"cc": config.cxx, "flags": [*build.flags(), "-shared", "-fPIC"],
            "libraries": ["-lmvec", "-lm"], "march": config.c_march}


def debugprint_text(fgraph: Any) -> str:
    """The rewritten graph as debugprint text."""
    from tensordsl.printing import debugprint

    return debugprint(fgraph, file="str")


def write(compiled: Compiled, folder: str, relative_to: str | None = None) -> dict:
    """Write the kernel files and the manifest of `compiled` into `folder`; the manifest."""
    os.makedirs(folder, exist_ok=True)
    sources = kernel_sources(compiled.fgraph, compiled.target, compiled.name)
    kernels = []
    for i, src in enumerate(sources):
        filename = f"k{i}{EXTENSIONS.get(src.language, '.txt')}"
        with open(os.path.join(folder, filename), "w") as f:
            f.write(src.text if src.text.endswith("\n") else src.text + "\n")
        kernels.append({"file": filename, "node": src.node, "entry": src.entry,
                        "language": src.language, "args": list(src.args)})
    manifest = {
        "function": compiled.name, "signature": compiled.signature,
        "target": compiled.target, "mode": compiled.mode, "kernels": kernels,
        "host_nodes": host_nodes(compiled.fgraph, compiled.target, sources),
        "graph": debugprint_text(compiled.fgraph).splitlines(),
        "compiler": compiler_info(compiled.target),
    }
    with open(os.path.join(folder, MANIFEST), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    return manifest


def targets_of(choice: str) -> list[str]:
    """The targets of `--target` ('all': every target available here)."""
    from tensordsl.cli.sources import TARGETS, available

    if choice == "all":
        return [t for t in TARGETS if available(t)[0]]
    if choice not in TARGETS:
        raise UsageError(f"unknown target {choice!r}; targets: {', '.join(TARGETS)}, all")
    ok, why = available(choice)
    if not ok:
        from tensordsl.errors import CompileError

        raise CompileError(f"target {choice!r} is not available here: {why}")
    return [choice]
