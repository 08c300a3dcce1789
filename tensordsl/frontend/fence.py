"""The fence: reject unsupported Python constructs before any graph is built.

A cheap walk over the whole function AST, so the user sees the first unsupported
construct with a precise location and advice, instead of a failure half-way through
building a graph. Constructs the builder supports only in some forms (`for` over
`range`, calls to known functions) are checked again, with their own messages, by
the builder; the fence handles what is never supported.
"""

from __future__ import annotations

import ast

from tensordsl.frontend.source import SourceInfo, error_at

# node type -> (construct name, what to do instead)
UNSUPPORTED: dict[type, tuple[str, str]] = {
    ast.While: ("while loop", "a loop whose trip count depends on data cannot be compiled; "
                "use `for i in range(n)` with a static n, or np.where for a data-dependent "
                "update"),
    ast.Try: ("try/except", "remove the try block; errors are raised by the caller's checks"),
    ast.With: ("with statement", "move the `with` block outside the compiled function"),
    ast.Raise: ("raise statement", "validate inputs before calling the compiled function"),
    ast.Assert: ("assert statement", "check the condition before calling the compiled "
                 "function"),
    ast.Global: ("global statement", "pass the value as an argument and return the result"),
    ast.Nonlocal: ("nonlocal statement", "pass the value as an argument and return the result"),
    ast.Delete: ("del statement", "drop the `del`; rebinding the name is enough"),
    ast.Import: ("import inside a compiled function", "import at module level"),
    ast.ImportFrom: ("import inside a compiled function", "import at module level"),
    ast.ClassDef: ("class definition", "define classes outside the compiled function"),
    ast.FunctionDef: ("nested function definition", "define the helper at module level; it "
                      "is inlined when called"),
    ast.AsyncFunctionDef: ("async function", "use a plain `def`"),
    ast.Lambda: ("lambda", "define a module-level function with `def`; it is inlined"),
    ast.ListComp: ("list comprehension", "use a vectorised numpy expression, or a "
                   "`for i in range(n)` loop appending to a list"),
    ast.SetComp: ("set comprehension", "use a vectorised numpy expression"),
    ast.DictComp: ("dict comprehension", "use a vectorised numpy expression"),
    ast.GeneratorExp: ("generator expression", "use a vectorised numpy expression"),
    ast.Dict: ("dict literal", "return a tuple of arrays instead of a dict"),
    ast.Set: ("set literal", "use a tuple"),
    ast.Yield: ("yield", "return the values instead of yielding them"),
    ast.YieldFrom: ("yield from", "return the values instead of yielding them"),
    ast.Await: ("await", "compiled functions are synchronous"),
    ast.JoinedStr: ("f-string", "strings cannot be computed inside a compiled function"),
    ast.Break: ("break", "loops are unrolled: restructure with np.where on a mask"),
    ast.Continue: ("continue", "loops are unrolled: restructure with np.where on a mask"),
    ast.NamedExpr: ("assignment expression (:=)", "use a separate assignment statement"),
    ast.Starred: ("starred expression", "index the tuple explicitly"),
}
if hasattr(ast, "Match"):
    UNSUPPORTED[ast.Match] = ("match statement", "use if/elif on static values or np.where")


def check(tree: ast.FunctionDef, info: SourceInfo) -> None:
    """Raise CompileError at the first unsupported construct in the function `tree`."""
    _check_signature(tree, info)
    for statement in tree.body:
        for node in ast.walk(statement):
            entry = UNSUPPORTED.get(type(node))
            if entry is not None:
                raise error_at(info, node, entry[0], "not supported in a compiled function",
                               entry[1])
            if isinstance(node, ast.For) and node.orelse:
                raise error_at(info, node, "for/else", "not supported in a compiled "
                               "function", "move the else block after the loop")


def _check_signature(tree: ast.FunctionDef, info: SourceInfo) -> None:
    args = tree.args
    if args.vararg is not None:
        raise error_at(info, args.vararg, "*args parameter", "a compiled function needs a "
                       "fixed number of arguments", "name each argument")
    if args.kwarg is not None:
        raise error_at(info, args.kwarg, "**kwargs parameter", "a compiled function needs a "
                       "fixed number of arguments", "name each argument")
