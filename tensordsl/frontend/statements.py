"""The statement half of the AST visitor: assignments (SSA), control flow, inlining.

* Assignments bind names to values; every binding gets a fresh SSA name in the
  normalised Python. Writes into array elements (`u[1:-1] = v`, `out[0] += v`) become
  functional set/inc-subtensor on a *local* array; writes into arguments (or views of
  them, or arrays another name also refers to) are errors.
* `if` on a static condition runs one branch; on a symbolic condition both branches
  run in copies of the scope and the names they set are joined with `switch` when
  both sides provably have one shape, else with a lazy `ifelse` (numpy returns the
  taken branch's array as it is: a `switch` would broadcast the other shape into it).
  Different dtypes or ranks are a CompileError at the `if`. An `if` containing a
  `return` continues each branch with the rest of the block, so every path ends in a
  return, and the returned values are joined.
* `for` over a static range/tuple is unrolled (at most MAX_UNROLL iterations).
* Calls of Python functions are parsed and built inline in a new frame.
"""

from __future__ import annotations

import ast
import inspect
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from tensordsl import tensor as T
from tensordsl.errors import CompileError
from tensordsl.frontend import fence
from tensordsl.frontend import semantics as S
from tensordsl.frontend.context import _MISSING, Frame, Poison
from tensordsl.frontend.expressions import BINOPS, ExprBuilder, to_tensor_index
from tensordsl.frontend.semantics import Unsupported
from tensordsl.frontend.source import ParsedFunction, parse_function
from tensordsl.graph.basic import Variable

MAX_UNROLL = 1000  # documented limit on the trip count of an unrolled `for` loop
_PARSED: dict[Any, ParsedFunction] = {}


def parsed(fn: Any) -> ParsedFunction:
    """`fn` parsed and fenced once (cached by code object)."""
    entry = _PARSED.get(fn.__code__)
    if entry is None or entry.fn is not fn:
        entry = parse_function(fn)
        fence.check(entry.tree, entry.info)
        _PARSED[fn.__code__] = entry
    return entry


@dataclass
class Returned:
    """A block ended in `return value`; `name` is its name in the normalised Python."""

    value: Any
    name: str | None


def _returns(node: ast.AST) -> bool:
    return any(isinstance(n, ast.Return) for n in ast.walk(node))


class FunctionBuilder(ExprBuilder):
    """Builds one function body (the compiled function or an inlined callee)."""

    def run(self) -> Returned | None:
        """Build the body; the Returned value, or None if it falls off the end."""
        return self.exec_block(self.frame.parsed.tree.body)

    def exec_block(self, statements: list[ast.stmt]) -> Returned | None:
        """Run statements in order until one returns."""
        for i, statement in enumerate(statements):
            if isinstance(statement, ast.Return):
                return self.do_return(statement)
            if isinstance(statement, ast.If) and _returns(statement):
                return self.returning_if(statement, statements[i + 1:])
            with self.guard(statement):
                self.visit(statement)
        return None

    def emit(self, statement: ast.stmt) -> None:
        """Append one statement to the normalised Python."""
        self.ctx.emitted.append(statement)

    def is_outermost(self) -> bool:
        """True in the compiled function itself, outside data-dependent branches."""
        return not self.frame.prefix and self.ctx.branch_depth == 0

    def emit_result(self, value: Any, rendered: ast.expr) -> str | None:
        """Emit `return rendered`, or `<prefix>ret_N = rendered` inside branches/inlines."""
        if self.is_outermost():
            self.emit(ast.Return(rendered))
            return None
        name = self.ctx.fresh(f"{self.frame.prefix}ret")
        self.emit(ast.Assign([ast.Name(name, ast.Store())], rendered, lineno=0))
        self.ctx.local_types[name] = S.describe_type(value)
        return name

    # -- bindings ------------------------------------------------------------------------------
    def bind(self, name: str, value: Any) -> str:
        """Bind `name` to `value` under a fresh SSA name (returned)."""
        ssa = self.ctx.fresh(self.frame.prefix + name)
        self.frame.scope.values[name] = value
        self.frame.scope.ssa[name] = ssa
        self.ctx.local_types[ssa] = S.describe_type(value)
        return ssa

    def bind_param(self, name: str, value: Any, rendered: ast.expr | None) -> None:
        """Bind a parameter; inside an inlined frame, emit `prefix_name_1 = <argument>`."""
        if not self.frame.prefix:
            self.frame.scope.values[name] = value
            self.frame.scope.ssa[name] = name
            self.ctx.local_types[name] = S.describe_type(value)
            return
        ssa = self.bind(name, value)
        self.emit(ast.Assign([ast.Name(ssa, ast.Store())], rendered or ast.Constant(None),
                             lineno=0))

    def bind_target(self, target: ast.expr, value: Any) -> ast.expr:
        """Bind an assignment target (name, tuple, subscript) to `value`; its rendering."""
        if isinstance(target, ast.Name):
            return ast.Name(self.bind(target.id, value), ast.Store())
        if isinstance(target, (ast.Tuple, ast.List)):
            items = self._unpack(target, value)
            return ast.Tuple([self.bind_target(t, v) for t, v in zip(target.elts, items)],
                             ast.Store())
        if isinstance(target, ast.Subscript):
            name, new = self.write_item(target, value, None)
            return ast.Name(self.bind(name, new), ast.Store())
        raise self.error(target, f"assignment to {type(target).__name__.lower()}",
                         "is not supported", "assign to a local name")

    def _unpack(self, target: ast.Tuple | ast.List, value: Any) -> list[Any]:
        if isinstance(value, Variable) and value.ndim and value.type.shape[0] is not None:
            value = [value[i] for i in range(value.type.shape[0])]
        if not isinstance(value, (tuple, list)):
            raise self.error(target, "tuple unpacking", f"of {S.describe_type(value)}",
                             "unpack tuples (e.g. x.shape) or index the array explicitly")
        if len(value) != len(target.elts):
            raise self.error(target, "tuple unpacking", f"{len(target.elts)} names for "
                             f"{len(value)} values", "match the number of names")
        return list(value)

    # -- writes into arrays --------------------------------------------------------------------
    def writable(self, target: ast.Subscript | ast.Name, name: str) -> Variable:
        """The local array `name`, checked to be safe to update functionally."""
        value = self.frame.scope.values.get(name, _MISSING)
        if value is _MISSING:
            raise self.error(target, f"write into {name!r}", "it is not a local array "
                             "(writing into a global would change it)",
                             f"make a local copy first: `{name} = {name}.copy()`")
        if not isinstance(value, Variable) or value.ndim == 0 and isinstance(target,
                                                                              ast.Subscript):
            raise self.error(target, f"write into {name!r}", f"it is a "
                             f"{S.describe_type(value)}, not an array", "write into arrays")
        root = self.ctx.root_of(value)
        if id(root) in self.frame.readonly:
            raise self.error(target, "write into an argument", f"{name!r} is (a view of) an "
                             f"argument, so the write would change the caller's array",
                             f"copy it first: `{name} = {name}.copy()` and return the copy")
        if root is not value:
            raise self.error(target, "write through a view", f"{name!r} is a view of another "
                             "array", "write into that array directly, or .copy() the view")
        for other, v in self.frame.scope.values.items():
            if other != name and isinstance(v, Variable) and self.ctx.root_of(v) is value:
                raise self.error(target, "write into a shared array", f"{other!r} refers to "
                                 f"the same array as {name!r}, so it would change too",
                                 f"use `{other} = {name}.copy()` to keep them separate")
        return value

    def write_item(self, target: ast.Subscript, value: Any, op: str | None) -> tuple[str, Any]:
        """`name[index] = value` (or `op=`): the name and the array's new value."""
        if not isinstance(target.value, ast.Name):
            raise self.error(target, "nested subscript assignment", "is not supported",
                             "index with one subscript: u[i, j] = v")
        name = target.value.id
        array = self.writable(target, name)
        self.subst[id(target.value)] = ast.Name(self.frame.scope.ssa[name], ast.Load())
        index = to_tensor_index(self.eval(target.slice))
        if op is not None:
            value = S.binary(op, array[index], value)
            value = _same_kind(value, array.dtype)
        new = T.set_subtensor(array, T.cast(S.strong(value), array.dtype), index)
        return name, new

    # -- statements ----------------------------------------------------------------------------
    def visit_Assign(self, node: ast.Assign) -> None:
        value = self.eval(node.value)
        rendered_value = self.render(node.value)
        if len(node.targets) == 1 and isinstance(node.targets[0], ast.Subscript):
            target = node.targets[0]
            name, new = self.write_item(target, value, None)
            rendered_target = self.render(target)
            ssa = self.bind(name, new)
            call = ast.Call(ast.Name("tensordsl.set_subtensor", ast.Load()),
                            [rendered_target, rendered_value], [])
            self.emit(ast.Assign([ast.Name(ssa, ast.Store())], call, lineno=0))
            return
        targets = [self.bind_target(t, value) for t in node.targets]
        self.emit(ast.Assign(targets, rendered_value, lineno=0))

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self.visit_Assign(ast.Assign([node.target], node.value, lineno=node.lineno,
                                         col_offset=node.col_offset))

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        op = BINOPS.get(type(node.op))
        if op is None:
            raise self.error(node, f"operator {type(node.op).__name__}=", "is not supported",
                             "use numpy functions")
        rhs = self.eval(node.value)
        target = node.target
        if isinstance(target, ast.Subscript):
            name, new = self.write_item(target, rhs, op)
            rendered = self.render(target)
            value_r = ast.BinOp(rendered, node.op, self.render(node.value))
            call = ast.Call(ast.Name("tensordsl.set_subtensor", ast.Load()),
                            [rendered, value_r], [])
            self.emit(ast.Assign([ast.Name(self.bind(name, new), ast.Store())], call, lineno=0))
            return
        if not isinstance(target, ast.Name):
            raise self.error(target, "augmented assignment target", "is not supported",
                             "use a local name")
        old = self.eval(target)
        rendered_old = self.render(target)
        new = S.binary(op, old, rhs)
        if isinstance(old, Variable) and old.ndim > 0:  # numpy updates arrays in place
            self.writable(target, target.id)
            new = _same_kind(new, old.dtype)
        ssa = self.bind(target.id, new)
        self.emit(ast.Assign([ast.Name(ssa, ast.Store())],
                             ast.BinOp(rendered_old, node.op, self.render(node.value)),
                             lineno=0))

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant):
            return  # docstring or bare constant
        self.eval(node.value)
        self.emit(ast.Expr(self.render(node.value)))

    def visit_Pass(self, node: ast.Pass) -> None:
        return None

    def generic_visit(self, node: ast.AST) -> Any:
        raise self.error(node, f"{type(node).__name__} statement", "is not supported in a "
                         "compiled function", "rewrite it with assignments, if and for")

    # -- control flow --------------------------------------------------------------------------
    def do_return(self, node: ast.Return) -> Returned:
        """`return value`."""
        value = self.eval(node.value) if node.value is not None else None
        return Returned(value, self.emit_result(value, self.render(node.value)))

    def visit_If(self, node: ast.If) -> None:
        with self.guard(node.test):
            cond = S.truth(self.eval(node.test))
        if isinstance(cond, bool):
            self.exec_block(node.body if cond else node.orelse)
            return
        test = self.render(node.test)
        saved = self.frame.scope
        scopes, blocks = [], []
        for body in (node.body, node.orelse):
            self.frame.scope = saved.copy()
            with self.ctx.capture() as emitted:
                self.exec_block(body)
            scopes.append(self.frame.scope)
            blocks.append(emitted or [ast.Pass()])
        self.frame.scope = saved
        self.emit(ast.If(test, blocks[0], blocks[1]))
        self._merge(node, cond, test, *scopes)

    def _merge(self, node: ast.If, cond: Any, test: ast.expr, a: Any, b: Any) -> None:
        for name in dict.fromkeys([*a.values, *b.values]):
            va, vb = a.values.get(name, _MISSING), b.values.get(name, _MISSING)
            if va is vb:
                self.frame.scope.values[name] = va
                self.frame.scope.ssa[name] = a.ssa.get(name, name)
                continue
            if _MISSING in (va, vb) or isinstance(va, Poison) or isinstance(vb, Poison):
                self.frame.scope.values[name] = Poison(name)
                continue
            with self.guard(node):
                joined = _join(cond, va, vb, name)
            ssa = self.bind(name, joined)
            self.emit(ast.Assign([ast.Name(ssa, ast.Store())],
                                 _where(test, a.ssa[name], b.ssa[name]), lineno=0))

    def returning_if(self, node: ast.If, rest: list[ast.stmt]) -> Returned | None:
        """An `if` with a return inside: each branch continues with the rest of the block."""
        with self.guard(node.test):
            cond = S.truth(self.eval(node.test))
        if isinstance(cond, bool):
            return self.exec_block((node.body if cond else node.orelse) + rest)
        test = self.render(node.test)
        saved = self.frame.scope
        outcomes, blocks = [], []
        for body in (node.body, node.orelse):
            self.frame.scope = saved.copy()
            with self.ctx.capture() as emitted:
                outcomes.append(self.exec_block(body + rest))
            blocks.append(emitted or [ast.Pass()])
        self.frame.scope = saved
        if outcomes[0] is None and outcomes[1] is None:
            return None
        if outcomes[0] is None or outcomes[1] is None:
            raise self.error(node, "data-dependent if", "only one branch returns a value",
                             "return on every path, or use np.where")
        self.emit(ast.If(test, blocks[0], blocks[1]))
        with self.guard(node):
            value = _join(cond, outcomes[0].value, outcomes[1].value, "return value")
        return Returned(value, self.emit_result(value, _where(test, outcomes[0].name,
                                                              outcomes[1].name)))

    def visit_For(self, node: ast.For) -> None:
        if _returns(node):
            raise self.error(node, "return inside a for loop", "is not supported",
                             "assign the result and return after the loop")
        items = self.eval(node.iter)
        if not isinstance(items, (range, tuple, list)):
            raise self.error(node.iter, "for loop", f"over {S.describe_type(items)}: only "
                             "loops over range(n) with a static n (or a tuple) are unrolled",
                             "use vectorised numpy operations, or np.where for a "
                             "data-dependent update")
        if len(items) > MAX_UNROLL:
            raise self.error(node.iter, "for loop", f"{len(items)} iterations exceed the "
                             f"unrolling limit ({MAX_UNROLL})", "vectorise the loop")
        for item in items:
            target = self.bind_target(node.target, item)
            self.emit(ast.Assign([target], _literal(item), lineno=0))
            self.exec_block(node.body)

    # -- inlining ------------------------------------------------------------------------------
    def inline(self, node: ast.Call, fn: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """Build the Python function `fn` in place of the call `node`."""
        if any(f.parsed.fn is fn for f in self.ctx.frames):
            raise self.error(node, f"recursive call of {fn.__qualname__}", "recursion "
                             "cannot be compiled", "write a loop over a static range")
        if _is_library(fn):
            raise self.error(node, f"unknown function {fn.__module__}.{fn.__qualname__}",
                             "is not in tensordsl's numpy table", "use a supported numpy "
                             "function, or add an entry to FUNCTIONS in "
                             "tensordsl/frontend/table.py")
        try:
            callee = parsed(fn)
        except CompileError as err:
            if getattr(err, "lineno", None) is not None:
                raise  # already located in the callee's source
            raise self.error(node, f"call of {fn.__qualname__}", str(err),
                             "define the function with `def` in a file") from None
        try:
            bound = inspect.signature(fn).bind(*args, **kwargs)
        except TypeError as err:
            raise self.error(node, f"call of {fn.__qualname__}", str(err),
                             "check the arguments") from None
        bound.apply_defaults()
        rendered = {p: self.render(a) for p, a in zip(callee.params, node.args)}
        rendered.update({kw.arg: self.render(kw.value) for kw in node.keywords})
        info = self.frame.parsed.info
        frame = Frame(callee, f"{fn.__name__}__",
                      f"{info.filename}:{info.file_line(node)} in {info.qualname}")
        frame.readonly = {id(self.ctx.root_of(v)) for v in bound.arguments.values()
                          if isinstance(v, Variable)}
        builder = FunctionBuilder(self.ctx, frame)
        with self.ctx.frame(frame):
            for name, value in bound.arguments.items():
                builder.bind_param(name, value, rendered.get(name, _literal(value)))
            outcome = builder.run()
        if outcome is None:
            return None
        self.subst[id(node)] = ast.Name(outcome.name or "None", ast.Load())
        return outcome.value


def _is_library(fn: Any) -> bool:
    """A function of the standard library, numpy, scipy or tensordsl (never inlined)."""
    top = (getattr(fn, "__module__", None) or "").split(".")[0]
    return top in _LIBRARIES or top in getattr(sys, "stdlib_module_names", ())


_LIBRARIES = {"numpy", "scipy", "tensordsl", "builtins", "posixpath", "ntpath", "os"}


def _same_kind(value: Any, dtype: str) -> Any:
    """numpy's in-place rule: the result must cast to `dtype` with 'same_kind'."""
    var = S.strong(value)
    if not np.can_cast(var.dtype, dtype, "same_kind"):
        raise Unsupported("in-place update", f"a {var.dtype} result cannot be stored into a "
                          f"{dtype} array (numpy raises UFuncTypeError)",
                          "cast explicitly, or use a non in-place expression")
    return T.cast(var, dtype)


def _join(cond: Any, a: Any, b: Any, name: str) -> Any:
    """S.join, except that arrays which may differ in shape at run time are joined with
    `ifelse` (the taken branch's value exactly) instead of a broadcasting `switch`."""
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)) and len(a) == len(b) \
            and type(a) is type(b):
        return type(a)(_join(cond, x, y, f"{name}[{i}]") for i, (x, y) in enumerate(zip(a, b)))
    joined = S.join(cond, a, b, name)
    node = getattr(joined, "owner", None)
    if not isinstance(joined, Variable) or joined.ndim == 0 or node is None \
            or getattr(getattr(node.op, "scalar_op", None), "name", None) != "switch":
        return joined
    _, then_value, else_value = node.inputs
    if _shape_key(then_value) == _shape_key(else_value):
        return joined
    from tensordsl.ifelse import ifelse

    return ifelse(S.strong(cond), then_value, else_value, name=name)


def _shape_key(var: Variable) -> tuple:
    """Equal keys: provably equal run-time shapes. A broadcasting elementwise op's shape
    is the broadcast of its operands' shapes, so it is keyed by the set of the
    non-elementwise variables (or constant shapes) those come from, leaving out the
    all-1 ones (the ranks of both sides are equal: S.join checked)."""
    static = var.type.shape
    if all(s is not None for s in static):
        return ("static", tuple(static))
    roots: set[Any] = set()
    stack, seen = [var], set()
    while stack:
        v = stack.pop()
        if id(v) in seen or all(d == 1 for d in v.type.shape):
            continue  # scalars and all-1 arrays never change a broadcast's shape
        seen.add(id(v))
        owner = v.owner
        if owner is not None and hasattr(owner.op, "scalar_op"):  # Elemwise: broadcasts
            stack.extend(owner.inputs)
        elif owner is not None and _leading_broadcast(owner.op, owner.inputs[0].ndim):
            stack.append(owner.inputs[0])  # leading 1s: the same broadcast shape
        elif owner is None and hasattr(v, "data"):  # a constant: only its shape matters
            roots.add(("const", np.shape(v.data)))
        else:
            roots.add(id(v))
    return ("dynamic", var.ndim, frozenset(roots))


def _leading_broadcast(op: Any, ndim: int) -> bool:
    """A DimShuffle that only prepends broadcast ('x') dims (how operands of different
    ranks are aligned for broadcasting)."""
    order = getattr(op, "new_order", None)
    if order is None or type(op).__name__ != "DimShuffle":
        return False
    k = len(order) - ndim
    return k >= 0 and order == ("x",) * k + tuple(range(ndim))


def _where(test: ast.expr, a: str | None, b: str | None) -> ast.expr:
    return ast.Call(ast.Name("np.where", ast.Load()),
                    [test, ast.Name(a or "None", ast.Load()), ast.Name(b or "None", ast.Load())],
                    [])


def _literal(value: Any) -> ast.expr:
    if S.is_python_scalar(value) or value is None:
        return ast.Constant(value)
    return ast.Name(f"<{type(value).__name__}>", ast.Load())
