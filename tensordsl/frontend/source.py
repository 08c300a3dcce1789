"""Getting a function's source as an AST, and pointing errors at that source.

`parse_function(fn)` returns a `ParsedFunction`: the dedented `ast.FunctionDef` with its
decorators stripped, plus a `SourceInfo` that maps AST positions back to the file
(line numbers shifted by where the function starts, columns by the removed indent).
`error_at(info, node, ...)` builds a `CompileError` whose message shows file, line,
column, the source line, a caret under the construct, the construct's name and what to
do instead.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from dataclasses import dataclass, field
from typing import Any

import astunparse

from tensordsl.errors import CompileError


@dataclass(frozen=True)
class SourceInfo:
    """Where a parsed function's text came from."""

    filename: str
    first_line: int  # file line of the first source line (a decorator or `def`)
    indent: int  # columns removed by dedenting
    lines: tuple[str, ...]  # the file's lines of this function, not dedented
    qualname: str

    def file_line(self, node: ast.AST) -> int:
        """The 1-based line in the file of `node`."""
        return self.first_line + getattr(node, "lineno", 1) - 1

    def file_col(self, node: ast.AST) -> int:
        """The 0-based column in the file of `node`."""
        return self.indent + getattr(node, "col_offset", 0)

    def line_text(self, node: ast.AST) -> str:
        """The source line holding `node` (as in the file)."""
        index = getattr(node, "lineno", 1) - 1
        return self.lines[index].rstrip("\n") if 0 <= index < len(self.lines) else ""


@dataclass
class ParsedFunction:
    """A user function parsed once: its AST, source information and Python objects."""

    fn: Any
    tree: ast.FunctionDef
    info: SourceInfo
    params: list[str] = field(default_factory=list)


def parse_function(fn: Any) -> ParsedFunction:
    """Parse the Python function `fn` (inspect.getsource + ast.parse, decorators stripped)."""
    if not inspect.isfunction(fn):
        raise TypeError(f"tensordsl.compile expects a Python function, got "
                        f"{type(fn).__name__} {fn!r:.60}")
    if fn.__name__ == "<lambda>":
        raise CompileError(f"cannot compile the lambda {fn!r}: tensordsl parses function "
                           f"source, so define it with `def` instead")
    try:
        lines, first_line = inspect.getsourcelines(fn)
    except (OSError, TypeError) as err:
        raise CompileError(f"cannot read the source of {fn.__qualname__} ({err}); "
                           f"tensordsl.compile needs functions defined in a file") from None
    text = "".join(lines)
    dedented = textwrap.dedent(text)
    indent = _indent_removed(text, dedented)
    module = ast.parse(dedented)
    tree = module.body[0]
    if not isinstance(tree, ast.FunctionDef):
        raise CompileError(f"cannot compile {fn.__qualname__}: its source is not a `def`")
    tree.decorator_list = []
    info = SourceInfo(inspect.getsourcefile(fn) or "<unknown>", first_line, indent,
                      tuple(lines), fn.__qualname__)
    params = [a.arg for a in tree.args.posonlyargs + tree.args.args]
    return ParsedFunction(fn, tree, info, params)


def _indent_removed(text: str, dedented: str) -> int:
    for original, stripped in zip(text.splitlines(), dedented.splitlines()):
        if stripped.strip():
            return len(original) - len(stripped)
    return 0


def describe(node: ast.AST) -> str:
    """The normalised Python of `node` (astunparse), one line, for messages."""
    try:
        text = astunparse.unparse(node).strip()
    except Exception:  # noqa: BLE001 - rendering must never hide the real error
        return type(node).__name__
    first = text.splitlines()[0] if text else ""
    return first if len(first) <= 80 else first[:77] + "..."


def format_location(info: SourceInfo, node: ast.AST, inlined_from: list[str] | None = None
                    ) -> str:
    """'File "f.py", line 3, column 5, in fn' + the source line + a caret under `node`."""
    line = info.line_text(node)
    col = info.file_col(node)
    end = getattr(node, "end_col_offset", None)
    same_line = getattr(node, "end_lineno", None) == getattr(node, "lineno", None)
    width = max(1, (info.indent + end - col) if end is not None and same_line else 1)
    width = min(width, max(1, len(line) - col))
    text = (f'  File "{info.filename}", line {info.file_line(node)}, column {col + 1}, '
            f"in {info.qualname}\n    {line}\n    {' ' * col}^{'~' * (width - 1)}")
    for frame in inlined_from or []:
        text += f"\n  (inlined from {frame})"
    return text


def error_at(info: SourceInfo, node: ast.AST, construct: str, problem: str, advice: str,
             inlined_from: list[str] | None = None) -> CompileError:
    """A CompileError pointing at `node`: location, caret, construct, problem and advice."""
    message = (f"{construct}: {problem}\n{format_location(info, node, inlined_from)}\n"
               f"  normalised: {describe(node)}\n  hint: {advice}")
    err = CompileError(message)
    err.construct = construct  # type: ignore[attr-defined]
    err.lineno = info.file_line(node)  # type: ignore[attr-defined]
    err.filename = info.filename  # type: ignore[attr-defined]
    return err
