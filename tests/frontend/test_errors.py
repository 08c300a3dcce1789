"""Unsupported constructs raise CompileError pointing at the user's source line."""

import inspect

import numpy as np
import pytest

import tensordsl
from tests.frontend import bad_functions as bad

CASES = [
    (bad.while_loop, "while loop", "range(n)"),
    (bad.uses_print, "print", "return the value"),
    (bad.try_except, "try/except", "remove the try"),
    (bad.writes_argument, "write into an argument", ".copy()"),
    (bad.inplace_on_argument, "write into an argument", ".copy()"),
    (bad.unknown_function, "unknown function", "table.py"),
    (bad.mask_indexing, "boolean mask indexing", "np.where"),
    (bad.nonzero, "nonzero", "np.where"),
    (bad.array_condition, "truth value of an array", "np.where"),
    (bad.loop_over_array, "for loop", "vectorised"),
    (bad.recursive, "recursive call", "loop"),
    (bad.uses_lambda, "lambda", "def"),
    (bad.list_comprehension, "list comprehension", "vectorised"),
    (bad.with_statement, "with statement", "outside"),
    (bad.one_branch_only, "variable 'y'", "both branches"),
    (bad.branch_dtypes, "data-dependent if", "cast both branches"),
    (bad.dynamic_range, "range bound", "static"),
    (bad.aliased_write, "write into a shared array", ".copy()"),
    (bad.write_through_view, "write through a view", ".copy()"),
    (bad.inlined_write, "write into an argument", ".copy()"),
    (bad.global_statement, "global statement", "argument"),
    (bad.nested_def, "nested function definition", "module level"),
    (bad.one_branch_returns, "data-dependent if", "return on every path"),
    (bad.unsupported_method, "array method .cumsum()", "METHODS"),
]


def _blamed_line(fn):
    """(file line number, text) of the line marked `# <-` in fn's module."""
    lines, first = inspect.getsourcelines(inspect.getmodule(fn))
    for number, text in enumerate(lines, start=1):
        if "# <-" in text and _inside(fn, number):
            return number, text.rstrip("\n")
    raise AssertionError(f"no marked line in {fn.__name__}")


def _inside(fn, line):
    lines, first = inspect.getsourcelines(fn)
    return first <= line < first + len(lines)


def test_at_least_twelve_constructs():
    assert len({c for _, c, _ in CASES}) >= 12


@pytest.mark.parametrize("fn,construct,advice", CASES, ids=[c[0].__name__ for c in CASES])
def test_error_points_at_source(fn, construct, advice):
    compiled = tensordsl.compile(fn)
    with pytest.raises(tensordsl.CompileError) as info:
        compiled(np.arange(1.0, 4.0))
    message = str(info.value)
    if fn is bad.inlined_write:  # the write is in the helper; the call site is reported
        number, text = _blamed_line(bad.helper_writes)
        assert "inlined from" in message and "in inlined_write" in message
    else:
        number, text = _blamed_line(fn)
    assert f'bad_functions.py", line {number}, column' in message, message
    assert text.strip().split("  #")[0] in message, message
    caret_lines = [ln for ln in message.splitlines() if ln.strip().startswith("^")]
    assert caret_lines, message
    column = int(message.split(", column ")[1].split(",")[0])
    source_line = next(ln for ln in message.splitlines() if text.strip()[:20] in ln)
    caret = caret_lines[0]
    # the caret sits under the reported column of the quoted source line
    assert caret.index("^") - (len(source_line) - len(source_line.lstrip())) == \
        column - 1 - (len(text) - len(text.lstrip())), message
    assert construct in message, message
    assert advice in message, message


def test_error_reports_construct_attribute():
    with pytest.raises(tensordsl.CompileError) as info:
        tensordsl.compile(bad.while_loop)(np.ones(2))
    assert info.value.construct == "while loop"
    assert info.value.lineno == _blamed_line(bad.while_loop)[0]
