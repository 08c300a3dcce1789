"""The expression half of the AST visitor: Python expression syntax -> frontend values.

Each `visit_*` maps one kind of syntax onto semantics.py or table.py; anything without
a visitor reaches `generic_visit`, which raises a located CompileError. While visiting,
the builder records in `subst` how a node renders in the normalised Python (a local
becomes its SSA name, an inlined call the name of its result).
"""

from __future__ import annotations

import ast
import contextlib
import copy
from collections.abc import Iterator
from typing import Any

import numpy as np

from tensordsl import tensor as T
from tensordsl.errors import CompileError
from tensordsl.frontend import semantics as S
from tensordsl.frontend import table
from tensordsl.frontend.context import _MISSING, BuildContext, Frame, Poison
from tensordsl.frontend.semantics import Unsupported, Weak
from tensordsl.frontend.source import error_at
from tensordsl.graph.basic import Variable

BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "true_div",
          ast.FloorDiv: "int_div", ast.Mod: "mod", ast.Pow: "pow", ast.MatMult: "matmul",
          ast.BitAnd: "and_", ast.BitOr: "or_", ast.BitXor: "xor"}
CMPOPS = {ast.Eq: "eq", ast.NotEq: "neq", ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt",
          ast.GtE: "ge"}
UNARYOPS = {ast.USub: "neg", ast.UAdd: "pos", ast.Invert: "invert"}
_BUILD_ERRORS = (TypeError, ValueError, IndexError, OverflowError, KeyError, AttributeError,
                 ZeroDivisionError)


class ExprBuilder(ast.NodeVisitor):
    """Evaluates expressions of one frame into frontend values."""

    def __init__(self, ctx: BuildContext, frame: Frame) -> None:
        self.ctx = ctx
        self.frame = frame
        self.subst: dict[int, ast.expr] = {}

    # -- errors ------------------------------------------------------------------------------
    def error(self, node: ast.AST, construct: str, problem: str, advice: str) -> CompileError:
        """A CompileError located at `node` of this frame's source."""
        return error_at(self.frame.parsed.info, node, construct, problem, advice,
                        self.ctx.inlined_from())

    @contextlib.contextmanager
    def guard(self, node: ast.AST) -> Iterator[None]:
        """Turn semantic errors raised inside the block into CompileErrors at `node`."""
        try:
            yield
        except Unsupported as err:
            raise self.error(node, err.construct, err.problem, err.advice) from None
        except _BUILD_ERRORS as err:
            raise self.error(node, _construct_name(node), f"{type(err).__name__}: {err}",
                             "check the shapes and dtypes of the operands") from None

    def eval(self, node: ast.AST) -> Any:
        """The frontend value of the expression `node`."""
        with self.guard(node):
            return self.visit(node)

    def generic_visit(self, node: ast.AST) -> Any:
        raise self.error(node, _construct_name(node), "not supported in a compiled function",
                         "rewrite it with numpy operations on arrays")

    # -- rendering ---------------------------------------------------------------------------
    def render(self, node: ast.AST | None) -> ast.expr:
        """`node` as it reads in the normalised Python (SSA names, inlined calls)."""
        if node is None:
            return ast.Constant(None)
        return _Substitute(self.subst).visit(node)

    # -- leaves --------------------------------------------------------------------------------
    def visit_Constant(self, node: ast.Constant) -> Any:
        return node.value

    def visit_Name(self, node: ast.Name) -> Any:
        scope = self.frame.scope
        if node.id in scope.values:
            value = scope.values[node.id]
            if isinstance(value, Poison):
                raise self.error(node, f"variable {node.id!r}", "it is assigned on only one "
                                 "side of a data-dependent if", "assign it before the if, "
                                 "or on both branches")
            self.subst[id(node)] = ast.Name(scope.ssa[node.id], ast.Load())
            return value
        value = self.frame.lookup_global(node.id)
        if value is _MISSING:
            raise self.error(node, f"name {node.id!r}", "is not defined",
                             "define it before use, or pass it as an argument")
        return value

    def visit_Attribute(self, node: ast.Attribute) -> Any:
        base = self.eval(node.value)
        if isinstance(base, Variable):
            builder = table.ATTRIBUTES.get(node.attr)
            if builder is None:
                raise self.error(node, f"array attribute .{node.attr}", "is not supported",
                                 "add it to ATTRIBUTES in tensordsl/frontend/table.py")
            result = builder(base)
            if node.attr in table.VIEW_ATTRIBUTES:
                self.ctx.mark_view(result, base)
            return result
        if isinstance(base, Weak):
            raise self.error(node, f"attribute .{node.attr} of a Python scalar",
                             "is not supported", "use numpy functions on the value")
        try:
            return getattr(base, node.attr)
        except AttributeError:
            raise self.error(node, f"attribute .{node.attr}", f"{base!r:.40} has no "
                             f"attribute {node.attr!r}", "check the spelling") from None

    def visit_Tuple(self, node: ast.Tuple) -> tuple:
        return tuple(self.eval(e) for e in node.elts)

    def visit_List(self, node: ast.List) -> list:
        return [self.eval(e) for e in node.elts]

    def visit_Slice(self, node: ast.Slice) -> slice:
        lower, upper, step = (None if n is None else self.eval(n)
                              for n in (node.lower, node.upper, node.step))
        return slice(lower, upper, step)

    # -- operators -----------------------------------------------------------------------------
    def visit_BinOp(self, node: ast.BinOp) -> Any:
        op = BINOPS.get(type(node.op))
        if op is None:
            raise self.error(node, f"operator {type(node.op).__name__}", "is not supported",
                             "use numpy functions")
        return S.binary(op, self.eval(node.left), self.eval(node.right))

    def visit_UnaryOp(self, node: ast.UnaryOp) -> Any:
        operand = self.eval(node.operand)
        if isinstance(node.op, ast.Not):
            return S.logical_not(operand)
        return S.unary(UNARYOPS[type(node.op)], operand)

    def visit_BoolOp(self, node: ast.BoolOp) -> Any:
        values = [self.eval(v) for v in node.values]
        op = "and_" if isinstance(node.op, ast.And) else "or_"
        if not any(map(S.is_symbolic, values)):
            result = values[0]
            for v in values[1:]:
                result = (result and v) if op == "and_" else (result or v)
            return result
        return S.logical(op, values)

    def visit_Compare(self, node: ast.Compare) -> Any:
        left = self.eval(node.left)
        results = []
        for op_node, right_node in zip(node.ops, node.comparators):
            right = self.eval(right_node)
            results.append(self._compare(node, op_node, left, right))
            left = right
        if len(results) == 1:
            return results[0]
        return S.logical("and_", results)

    def _compare(self, node: ast.AST, op_node: ast.cmpop, left: Any, right: Any) -> Any:
        if isinstance(op_node, (ast.Is, ast.IsNot, ast.In, ast.NotIn)):
            if S.is_symbolic(left) or S.is_symbolic(right):
                raise self.error(node, f"`{type(op_node).__name__}` test on an array",
                                 "is not supported", "use == or np.where")
            return {ast.Is: lambda a, b: a is b, ast.IsNot: lambda a, b: a is not b,
                    ast.In: lambda a, b: a in b,
                    ast.NotIn: lambda a, b: a not in b}[type(op_node)](left, right)
        return S.binary(CMPOPS[type(op_node)], left, right)

    def visit_IfExp(self, node: ast.IfExp) -> Any:
        cond = S.truth(self.eval(node.test))
        if isinstance(cond, bool):
            return self.eval(node.body if cond else node.orelse)
        return S.join(cond, self.eval(node.body), self.eval(node.orelse), "if-expression")

    # -- indexing ------------------------------------------------------------------------------
    def visit_Subscript(self, node: ast.Subscript) -> Any:
        base = self.eval(node.value)
        index = self.eval(node.slice)
        if not S.is_symbolic(base) and not _has_symbolic(index):
            return base[index]
        if isinstance(base, (tuple, list)):
            raise self.error(node, "indexing a tuple with a run-time index", "is not "
                             "supported", "use a static index, or np.array(...) first")
        if isinstance(base, Weak):
            raise self.error(node, "indexing a Python scalar", "is not supported",
                             "index arrays only")
        tensor_index = to_tensor_index(index)
        result = S.strong(base)[tensor_index]
        if not _is_advanced(tensor_index):
            self.ctx.mark_view(result, base)
        return result

    # -- calls ---------------------------------------------------------------------------------
    def visit_Call(self, node: ast.Call) -> Any:
        if isinstance(node.func, ast.Attribute):
            base = self.eval(node.func.value)
            if S.is_symbolic(base):
                return self._method(node, base, node.func.attr)
            fn = self.eval(node.func)
        else:
            fn = self.eval(node.func)
        args, kwargs = self.eval_args(node)
        return self.call(node, fn, args, kwargs)

    def eval_args(self, node: ast.Call) -> tuple[list[Any], dict[str, Any]]:
        """Positional and keyword argument values of a call."""
        args = [self.eval(a) for a in node.args]
        kwargs = {}
        for kw in node.keywords:
            if kw.arg is None:
                raise self.error(kw, "**kwargs in a call", "is not supported",
                                 "pass keywords explicitly")
            kwargs[kw.arg] = self.eval(kw.value)
        return args, kwargs

    def _method(self, node: ast.Call, base: Any, name: str) -> Any:
        builder = table.METHODS.get(name)
        if builder is None:
            raise self.error(node.func, f"array method .{name}()", "is not supported",
                             "use the numpy function, or add the method to METHODS in "
                             "tensordsl/frontend/table.py")
        args, kwargs = self.eval_args(node)
        result = builder(base, *args, **kwargs)
        if name in table.VIEW_METHODS:
            self.ctx.mark_view(result, base)
        return result

    def call(self, node: ast.Call, fn: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """Apply the static callable `fn` (a table entry, or a Python function to inline)."""
        if S.is_symbolic(fn):
            raise self.error(node.func, "calling an array", "arrays are not callable",
                             "check the parentheses")
        builder = _lookup(table.FUNCTIONS, fn)
        if builder is not None:
            result = builder(*args, **kwargs)
            if _lookup_set(table.VIEW_FUNCTIONS, fn) and args:
                self.ctx.mark_view(result, args[0])
            return result
        name = getattr(fn, "__qualname__", None) or repr(fn)
        if _lookup_set(table.DATA_DEPENDENT, fn):
            raise self.error(node, f"np.{name}", "its result shape depends on the data "
                             "(data-dependent shapes cannot be compiled)",
                             "use np.where(cond, a, b) to keep a fixed shape")
        advice = _lookup(table.BUILTIN_ADVICE, fn)
        if advice is not None:
            raise self.error(node, advice[0], "is not supported in a compiled function",
                             advice[1])
        fn = getattr(fn, "py_func", fn)  # another @compile'd function: inline its source
        if callable(fn) and type(fn).__name__ == "function":
            return self.inline(node, fn, args, kwargs)
        module = getattr(fn, "__module__", None) or ""
        raise self.error(node, f"unknown function {module + '.' if module else ''}{name}",
                         "is not in tensordsl's numpy table",
                         "use a supported numpy function, or add an entry to FUNCTIONS in "
                         "tensordsl/frontend/table.py")

    def inline(self, node: ast.Call, fn: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """Parse and build `fn` in place (the statements builder implements it)."""
        raise NotImplementedError


def to_tensor_index(index: Any) -> Any:
    """A Python index of frontend values as an index of tensor variables and ints."""
    if isinstance(index, tuple):
        return tuple(_index_item(i) for i in index)
    return _index_item(index)


def _index_item(item: Any) -> Any:
    if isinstance(item, slice):
        return slice(*(_index_item(b) for b in (item.start, item.stop, item.step)))
    if isinstance(item, Weak):
        if item.kind is not int:
            raise Unsupported("index", f"a run-time Python {item.kind.__name__} index",
                              "indices must be integers")
        return item.var
    if isinstance(item, Variable):
        if item.dtype == "bool":
            raise Unsupported("boolean mask indexing", "its result shape depends on the data",
                              "use np.where(mask, x, 0) to keep the shape")
        return item
    if isinstance(item, (list, np.ndarray)):
        array = np.asarray(item)
        if array.dtype == np.bool_:
            raise Unsupported("boolean mask indexing", "is not supported",
                              "use np.where(mask, x, 0) to keep the shape")
        return T.constant(array)
    return item


def _is_advanced(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return any(isinstance(i, Variable) and i.ndim > 0 for i in items)


def _has_symbolic(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    for item in items:
        bounds = (item.start, item.stop, item.step) if isinstance(item, slice) else (item,)
        if any(S.is_symbolic(b) for b in bounds):
            return True
    return False


def _lookup(mapping: dict, fn: Any) -> Any:
    try:
        return mapping.get(fn)
    except TypeError:  # unhashable
        return None


def _lookup_set(items: set, fn: Any) -> bool:
    try:
        return fn in items
    except TypeError:
        return False


def _construct_name(node: ast.AST) -> str:
    names = {ast.Call: "call", ast.Subscript: "subscript", ast.BinOp: "arithmetic",
             ast.Compare: "comparison", ast.Attribute: "attribute"}
    return names.get(type(node), type(node).__name__)


class _Substitute(ast.NodeTransformer):
    """A copy of an expression with recorded substitutions applied."""

    def __init__(self, subst: dict[int, ast.expr]) -> None:
        self.subst = subst

    def visit(self, node: ast.AST) -> ast.AST:
        replacement = self.subst.get(id(node))
        if replacement is not None:
            return replacement
        new = copy.copy(node)
        for name, old in ast.iter_fields(node):
            if isinstance(old, list):
                setattr(new, name, [self.visit(x) if isinstance(x, ast.AST) else x
                                    for x in old])
            elif isinstance(old, ast.AST):
                setattr(new, name, self.visit(old))
        return new
