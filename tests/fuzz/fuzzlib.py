"""The differential fuzzer: random well-typed programs run on numpy and on each backend.

One generator draws a program as concrete inputs plus a list of operations (>= 25 op
kinds: elementwise maths, casts, comparisons, broadcasting, reductions, slicing,
matrix products, rewrite-triggering patterns such as log(1 + exp(x)) or x * 1, ifelse
and scan). Each program is rendered twice as Python source:

* `numpy_source`: a plain numpy function. Run as it is, it is the reference; wrapped in
  `@tensordsl.compile` it is a decorator program (`kind="decorator"`, with data-
  dependent `if`s and unrolled `for` loops);
* `graph_source`: the same maths on symbolic tensors (tensordsl.tensor, ifelse, scan),
  compiled with `tensordsl.function` (`kind="graph"`).

Every backend runs the program with all of FAST_RUN's rewrites. A result differing
from numpy beyond the accuracy contract (same dtype and shape; exact ops exact; the
ulp allowance of the transcendental ops, element- or norm-wise), an exception numpy
does not raise, or a crash (`run_isolated` runs programs in a subprocess) is a failure,
saved with `save_reproducer` as a small JSON file in tests/fuzz/corpus/ that
tests/fuzz/test_corpus.py replays.

Values fed to discontinuous operations (comparisons, casts to int, floor division)
are always exact (inputs or results of exact ops), so a 1-ulp difference upstream never
flips them (docs/accuracy.md).
"""

from __future__ import annotations

import dataclasses
import json
import os
import random
import subprocess
import sys
import tempfile
import textwrap
import traceback
from typing import Any

import numpy as np

from tensordsl import accuracy

CORPUS = os.path.join(os.path.dirname(__file__), "corpus")
FLOATS = ("float32", "float64")
INTS = ("int8", "int32", "int64")
# norm-wise allowance on top of the transcendental ops' ulps (reassociated sums, products)
BASE_ULPS = 16


# -- choosing ---------------------------------------------------------------------------------
class RandomChooser:
    """Draws from random.Random (the long-running fuzzer: fast, reproducible by seed)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def choice(self, items: Any) -> Any:
        return items[self.rng.randrange(len(items))]

    def floats(self, n: int, lo: float, hi: float) -> list[float]:
        return [self.rng.uniform(lo, hi) if self.rng.random() > 0.1
                else float(self.rng.randint(-2, 2)) for _ in range(n)]


class DrawChooser(RandomChooser):
    """Draws through a hypothesis `draw` (the test suite: shrinking)."""

    def __init__(self, draw: Any) -> None:
        from hypothesis import strategies as st

        self.draw, self.st = draw, st

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(self.st.integers(lo, hi))

    def choice(self, items: Any) -> Any:
        return self.draw(self.st.sampled_from(list(items)))

    def floats(self, n: int, lo: float, hi: float) -> list[float]:
        return self.draw(self.st.lists(self.st.floats(lo, hi, allow_nan=False,
                                                      allow_infinity=False),
                                       min_size=n, max_size=n))


# -- programs ---------------------------------------------------------------------------------
@dataclasses.dataclass
class Value:
    """A value of the program being generated: its name, dtype, concrete shape, and
    whether it is exact (computed only by exact ops from the inputs)."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    exact: bool


@dataclasses.dataclass
class Program:
    """A generated program: inputs (dtype, shape, data) and its two renderings."""

    kind: str  # "graph" or "decorator"
    inputs: list[dict]
    numpy_source: str
    graph_source: str
    ulps: int
    seed: Any = None
    terms: int = 1  # the most elements any reduction adds up (the sums' error grows with it)

    def arrays(self) -> list[np.ndarray]:
        """The input arrays, in their memory layouts (values as `data`, or drawn from
        `fill` = [seed, lo, hi] for big inputs)."""
        return [_array(i) for i in self.inputs]

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Program:
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in fields})


def _array(spec: dict) -> np.ndarray:
    dtype, shape = spec["dtype"], tuple(spec["shape"])
    if "fill" in spec:
        seed, lo, hi = spec["fill"]
        rng = np.random.default_rng(seed)
        values = rng.uniform(lo, hi, shape) if dtype in FLOATS else \
            rng.integers(int(lo), int(hi) + 1, shape)
        a = np.asarray(values).astype(dtype)
    else:
        a = np.array(spec["data"], dtype=dtype).reshape(shape)
    layout = spec.get("layout", "contiguous")
    if layout == "transposed" and a.ndim >= 2:
        return np.ascontiguousarray(a.T).T
    if layout == "reversed" and a.ndim >= 1:
        return np.ascontiguousarray(a[::-1])[::-1]
    if layout == "strided" and a.ndim >= 1:
        wide = np.zeros(tuple(2 * n for n in shape), dtype)
        view = wide[(slice(None, None, 2),) * a.ndim]
        view[...] = a
        return view
    return a


def _float_of(dtype: str) -> str:
    return dtype if dtype in FLOATS else "float64"


def _broadcasts(a: Value, b: Value) -> bool:
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        return False
    return True


class Generator:
    """Builds one program, statement by statement, in both renderings."""

    def __init__(self, chooser: Any, kind: str) -> None:
        self.c, self.kind = chooser, kind
        self.values: list[Value] = []
        self.np_lines: list[str] = []
        self.g_lines: list[str] = []
        self.ulps = 0
        self.terms = 1
        self.counter = 0

    # helpers
    def fresh(self) -> str:
        self.counter += 1
        return f"v{self.counter}"

    def emit(self, np_expr: str, g_expr: str, dtype: str, shape: tuple[int, ...],
             exact: bool, ulps: int = 0) -> Value:
        name = self.fresh()
        self.np_lines.append(f"{name} = {np_expr}")
        self.g_lines.append(f"{name} = {g_expr}")
        value = Value(name, dtype, tuple(shape), exact)
        self.values.append(value)
        self.ulps += ulps
        return value

    def pick(self, pred: Any = None) -> Value | None:
        pool = [v for v in self.values if pred is None or pred(v)]
        return self.c.choice(pool) if pool else None

    def partner(self, a: Value, pred: Any = None) -> Value | None:
        """A value of a's dtype whose shape broadcasts with a's."""
        def ok(v: Value) -> bool:
            try:
                np.broadcast_shapes(a.shape, v.shape)
            except ValueError:
                return False
            return v.dtype == a.dtype and (pred is None or pred(v))
        return self.pick(ok)

    # the program
    def inputs(self) -> list[dict]:
        n = self.c.integer(1, 3)
        rank = self.c.integer(0, 3)
        base = [self.c.integer(0, 4) for _ in range(rank)]
        # sometimes big enough for the parallel and row-block paths (~200k elements)
        big = rank == 2 and self.c.integer(0, 9) == 0
        if big:
            base = [self.c.integer(300, 500), self.c.integer(300, 500)]
        if self.c.integer(0, 3):
            base = [max(1, b) for b in base]  # mostly non-empty
        family = self.c.choice(["float64", "float32", "float64", "int", "mixed"])
        specs = []
        for i in range(n):
            own_rank = self.c.integer(0, rank) if i else rank
            shape = list(base[rank - own_rank:])
            for d in range(own_rank):
                if self.c.integer(0, 4) == 0:
                    shape[d] = 1
            dtype = {"int": self.c.choice(INTS),
                     "mixed": self.c.choice(FLOATS + INTS)}.get(family, family)
            size = int(np.prod(shape)) if shape else 1
            spec = {"name": f"x{i}", "dtype": dtype, "shape": shape,
                    "layout": self.c.choice(["contiguous", "contiguous", "transposed",
                                             "reversed", "strided"])}
            if big:
                spec["fill"] = [self.c.integer(0, 10**6), -3, 3]
            elif dtype in FLOATS:
                spec["data"] = [float(np.asarray(v, dtype)) for v in self.c.floats(size, -3, 3)]
            else:
                hi = 120 if dtype == "int8" and self.c.integer(0, 3) == 0 else 20
                spec["data"] = [self.c.integer(-hi, hi) for _ in range(size)]
            specs.append(spec)
            self.values.append(Value(f"x{i}", dtype, tuple(shape), True))
        return specs

    def step(self) -> None:
        ops = [self.unary, self.binary, self.unary, self.binary, self.reduce, self.slice,
               self.cast, self.compare, self.pattern, self.integer_op, self.matmul,
               self.where, self.mixed, self.weak, self.logic, self.reduce_all, self.layer]
        if self.kind == "graph":
            ops += [self.ifelse, self.scan]
        else:
            ops += [self.branch, self.loop]
        self.c.choice(ops)()

    UNARY = {
        # name: (numpy, tensor, exact?, ulp op)
        "neg": ("-{a}", "-{a}", True, None),
        "abs": ("np.abs({a})", "abs({a})", True, None),
        "sqr": ("{a} * {a}", "T.sqr({a})", True, None),
        "exp": ("np.exp({a})", "T.exp({a})", False, "exp"),
        "log": ("np.log(np.abs({a}) + 1)", "T.log(abs({a}) + 1)", False, "log"),
        "log1p": ("np.log1p(np.abs({a}))", "T.log1p(abs({a}))", False, "log1p"),
        "sqrt": ("np.sqrt(np.abs({a}))", "T.sqrt(abs({a}))", False, None),
        "sin": ("np.sin({a})", "T.sin({a})", False, "sin"),
        "cos": ("np.cos({a})", "T.cos({a})", False, "cos"),
        "tanh": ("np.tanh({a})", "T.tanh({a})", False, "tanh"),
        "arctan": ("np.arctan({a})", "T.arctan({a})", False, "arctan"),
        "expm1": ("np.expm1({a})", "T.expm1({a})", False, "expm1"),
        "erf": ("scipy.special.erf({a})", "T.erf({a})", False, "erf"),
        "sigmoid": ("scipy.special.expit({a})", "T.nnet.sigmoid({a})", False, "sigmoid"),
        "softplus": ("np.logaddexp(0, {a})", "T.nnet.softplus({a})", False, "softplus"),
        "clip": ("np.clip({a}, -1.5, 2)", "T.clip({a}, -1.5, 2)", True, None),
    }

    def unary(self) -> None:
        a = self.pick(lambda v: v.dtype in FLOATS)
        if a is None:
            return self.cast()
        name = self.c.choice(sorted(self.UNARY))
        np_t, g_t, exact, op = self.UNARY[name]
        if name == "exp":  # keep exponents small: exp(exp(x)) overflows quickly
            np_t, g_t = "np.exp(np.clip({a}, -30, 30))", "T.exp(T.clip({a}, -30, 30))"
        self.emit(np_t.format(a=a.name), g_t.format(a=a.name), a.dtype, a.shape,
                  exact and a.exact, accuracy.ulp_bound(op) if op else 1)

    BINARY = {"add": "+", "sub": "-", "mul": "*"}

    def binary(self) -> None:
        a = self.pick()
        b = a and self.partner(a)
        if a is None or b is None:
            return
        name = self.c.choice(["add", "sub", "mul", "div", "maximum", "minimum"])
        shape = np.broadcast_shapes(a.shape, b.shape)
        exact = a.exact and b.exact
        if name in self.BINARY:
            expr = f"{a.name} {self.BINARY[name]} {b.name}"
            self.emit(expr, expr, a.dtype, shape, exact and (name != "mul" or
                                                             a.dtype not in FLOATS))
        elif name == "div":
            if a.dtype not in FLOATS:
                return
            expr = f"{a.name} / (abs({b.name}) + 1)"
            self.emit(expr.replace("abs(", "np.abs("), expr, a.dtype, shape, False, 1)
        else:
            self.emit(f"np.{name}({a.name}, {b.name})", f"T.{name}({a.name}, {b.name})",
                      a.dtype, shape, exact)

    def mixed(self) -> None:
        """A binary op on two dtypes: numpy's promotion rules."""
        a = self.pick()
        b = a and self.pick(lambda v: v.dtype != a.dtype and _broadcasts(a, v))
        if a is None or b is None:
            return
        op = self.c.choice(["+", "-", "*"])
        dtype = np.result_type(np.dtype(a.dtype), np.dtype(b.dtype)).name
        exact = a.exact and b.exact and dtype not in FLOATS
        self.emit(f"{a.name} {op} {b.name}", f"{a.name} {op} {b.name}", dtype,
                  np.broadcast_shapes(a.shape, b.shape), exact, 1)

    def weak(self) -> None:
        """An op with a Python number (NEP 50: the array's dtype wins)."""
        a = self.pick()
        if a is None:
            return
        value = self.c.choice(["2", "3", "-1", "0.5", "2.5"])
        op = self.c.choice(["+", "-", "*"])
        if "." in value and a.dtype not in FLOATS:
            dtype, exact = "float64", False
        else:
            dtype, exact = a.dtype, a.exact and a.dtype not in FLOATS
        expr = f"{a.name} {op} {value}" if self.c.integer(0, 1) else f"{value} {op} {a.name}"
        self.emit(expr, expr, dtype, a.shape, exact, 1)

    def logic(self) -> None:
        """Comparisons combined with & | ~, then used as a 0/1 array."""
        a = self.pick(lambda v: v.exact)
        b = a and self.partner(a, lambda v: v.exact)
        if a is None or b is None:
            return
        op = self.c.choice(["&", "|"])
        inv = self.c.choice(["", "~"])
        to = _float_of(a.dtype)
        shape = np.broadcast_shapes(a.shape, b.shape)
        self.emit(f"({inv}(({a.name} > 0) {op} ({b.name} < 1))).astype(np.{to})",
                  f"T.cast({inv}(T.gt({a.name}, 0) {op} T.lt({b.name}, 1)), '{to}')",
                  to, shape, True)

    def reduce_all(self) -> None:
        a = self.pick(lambda v: len(v.shape) > 0 and 0 not in v.shape)
        if a is None:
            return
        kind = self.c.choice(["sum", "max", "min"])
        if len(a.shape) >= 2 and self.c.integer(0, 1):
            args = "axis=(0, 1)"
            shape = a.shape[2:]
        else:
            args, shape = "", ()
        dtype = "int64" if kind == "sum" and a.dtype in INTS else a.dtype
        exact = a.exact and (kind != "sum" or a.dtype not in FLOATS)
        self.terms = max(self.terms, int(np.prod(a.shape[:2] if args else a.shape)))
        self.emit(f"{a.name}.{kind}({args})", f"{a.name}.{kind}({args})", dtype, shape,
                  exact, 2)

    def layer(self) -> None:
        """A logistic layer over rows, the row-block rewrite's pattern."""
        x = self.pick(lambda v: len(v.shape) == 2 and v.dtype in FLOATS)
        w = x and self.pick(lambda v: v.shape == (x.shape[1],) and v.dtype == x.dtype)
        if x is None or w is None:
            return
        self.terms = max(self.terms, x.shape[0] * x.shape[1])
        np_e = f"scipy.special.expit({x.name} @ {w.name} + 0.5)"
        g_e = f"T.nnet.sigmoid(T.dot({x.name}, {w.name}) + 0.5)"
        if self.c.integer(0, 1):
            np_e, g_e = f"({np_e}).sum()", f"({g_e}).sum()"
            shape = ()
        else:
            shape = (x.shape[0],)
        self.emit(np_e, g_e, x.dtype, shape, False, 16)

    def integer_op(self) -> None:
        a = self.pick(lambda v: v.dtype in INTS)
        b = a and self.partner(a)
        if a is None or b is None:
            return
        op = self.c.choice(["//", "%"])
        shape = np.broadcast_shapes(a.shape, b.shape)
        expr = f"{a.name} {op} (abs({b.name}) + 1)"
        self.emit(expr.replace("abs(", "np.abs("), expr, a.dtype, shape, True)

    def reduce(self) -> None:
        a = self.pick(lambda v: len(v.shape) > 0)
        if a is None:
            return
        axis = self.c.integer(0, len(a.shape) - 1)
        kind = self.c.choice(["sum", "max", "min", "mean", "prod"])
        if kind in ("max", "min") and a.shape[axis] == 0:
            kind = "sum"  # numpy raises on an empty max
        if kind == "mean" and (a.shape[axis] == 0 or a.dtype not in FLOATS):
            kind = "sum"
        if kind == "prod" and a.dtype not in FLOATS:
            kind = "sum"
        keep = bool(self.c.integer(0, 1))
        self.terms = max(self.terms, a.shape[axis])
        shape = list(a.shape)
        if keep:
            shape[axis] = 1
        else:
            del shape[axis]
        dtype = a.dtype
        if kind == "sum" and a.dtype in INTS:
            dtype = "int64"  # numpy's sum of small ints accumulates in int64
        exact = a.exact and (kind in ("max", "min") or a.dtype not in FLOATS)
        args = f"axis={axis}" + (", keepdims=True" if keep else "")
        self.emit(f"{a.name}.{kind}({args})", f"{a.name}.{kind}({args})", dtype, shape,
                  exact, 2)

    def slice(self) -> None:
        a = self.pick(lambda v: len(v.shape) > 0)
        if a is None:
            return
        how = self.c.choice(["[1:]", "[::2]", "[::-1]", ".T", "[:, ::-1]", "[-1]"])
        shape = list(a.shape)
        if how == "[1:]":
            shape[0] = max(0, shape[0] - 1)
        elif how == "[::2]":
            shape[0] = (shape[0] + 1) // 2
        elif how == ".T":
            shape = shape[::-1]
        elif how == "[:, ::-1]" and len(shape) < 2:
            how = "[::-1]"
        elif how == "[-1]":
            if shape[0] == 0:
                return
            del shape[0]
        expr = f"{a.name}{how}"
        self.emit(expr, expr, a.dtype, shape, a.exact)

    def cast(self) -> None:
        a = self.pick()
        to = self.c.choice(FLOATS + INTS)
        if to in INTS and a.dtype in FLOATS:
            if not a.exact:
                to = self.c.choice(FLOATS)
            else:  # a float out of the int's range is undefined in C: clip first
                self.emit(f"np.clip({a.name}, -100, 100).astype(np.{to})",
                          f"T.cast(T.clip({a.name}, -100, 100), '{to}')", to, a.shape, True)
                return
        exact = a.exact and (to not in FLOATS or a.dtype in INTS or
                             np.dtype(to).itemsize >= np.dtype(a.dtype).itemsize)
        self.emit(f"{a.name}.astype(np.{to})", f"T.cast({a.name}, '{to}')", to, a.shape,
                  exact)

    def compare(self) -> None:
        a = self.pick(lambda v: v.exact)
        b = a and self.partner(a, lambda v: v.exact)
        if a is None or b is None:
            return
        op = self.c.choice(["<", ">", "<=", ">=", "==", "!="])
        to = _float_of(a.dtype)
        shape = np.broadcast_shapes(a.shape, b.shape)
        self.emit(f"({a.name} {op} {b.name}).astype(np.{to})",
                  f"T.cast({a.name} {op} {b.name}, '{to}')" if op not in ("==", "!=") else
                  f"T.cast(T.{'eq' if op == '==' else 'neq'}({a.name}, {b.name}), '{to}')",
                  to, shape, True)

    def where(self) -> None:
        a = self.pick()
        b = a and self.partner(a)
        if a is None or b is None:
            return
        shape = np.broadcast_shapes(a.shape, b.shape)
        # continuous in a and b: at the flip a == b (exact or not)
        self.emit(f"np.where({a.name} > {b.name}, {a.name}, {b.name})",
                  f"T.switch(T.gt({a.name}, {b.name}), {a.name}, {b.name})", a.dtype, shape,
                  a.exact and b.exact)

    def matmul(self) -> None:
        a = self.pick(lambda v: len(v.shape) == 2 and v.dtype in FLOATS)
        b = a and self.pick(lambda v: v.shape == a.shape and v.dtype == a.dtype)
        if a is None or b is None:
            return
        self.terms = max(self.terms, a.shape[1])
        self.emit(f"{a.name} @ {b.name}.T", f"T.dot({a.name}, {b.name}.T)", a.dtype,
                  (a.shape[0], b.shape[0]), False, 2)

    PATTERNS = [
        # (numpy, tensor, exact-preserving, ulps): rewrites fire on the tensor form
        ("{a} * 1", "{a} * 1", True, 0),
        ("{a} + 0", "{a} + 0", True, 0),
        ("-(-{a})", "-(-{a})", True, 0),
        ("{a} - {a}", "{a} - {a}", True, 0),
        ("np.log(1 + np.exp(np.clip({a}, -30, 30)))", "T.log(1 + T.exp(T.clip({a}, -30, 30)))",
         False, 16),
        ("1 / (1 + np.exp(-{a}))", "1 / (1 + T.exp(-{a}))", False, 16),
        ("np.exp(np.log(np.abs({a}) + 1))", "T.exp(T.log(abs({a}) + 1))", False, 16),
        ("{a} * 2 + {a} * 3", "{a} * 2 + {a} * 3", False, 2),
        ("({a} * {a}).sum()", "T.sum({a} * {a})", False, 4),
        ("np.tanh({a}) * 0.5 + 0.5", "T.tanh({a}) * 0.5 + 0.5", False, 8),
    ]

    def pattern(self) -> None:
        a = self.pick(lambda v: v.dtype in FLOATS)
        if a is None:
            return self.binary()
        np_t, g_t, exact, ulps = self.c.choice(self.PATTERNS)
        shape = () if ".sum()" in np_t else a.shape
        if ".sum()" in np_t:
            self.terms = max(self.terms, int(np.prod(a.shape)))
        if "np.exp(-" in np_t:
            np_t = np_t.replace("{a}", "np.clip({a}, -30, 30)")
            g_t = g_t.replace("{a}", "T.clip({a}, -30, 30)")
        self.emit(np_t.format(a=a.name), g_t.format(a=a.name), a.dtype, shape,
                  exact and a.exact, ulps)

    def ifelse(self) -> None:
        c = self.pick(lambda v: v.exact and 0 not in v.shape)
        a = self.pick()
        b = a and self.pick(lambda v: v.dtype == a.dtype and len(v.shape) == len(a.shape))
        if c is None or a is None or b is None:
            return
        cond = f"{c.name}.max() > 0"
        name = self.fresh()
        self.np_lines.append(f"{name} = {a.name} if {cond} else {b.name}")
        self.g_lines.append(f"{name} = ifelse(T.gt({c.name}.max(), 0), {a.name}, {b.name})")
        # the shape is the taken branch's: evaluate the condition on the inputs later;
        # only values of one shape may be combined with it, so record a's or b's
        self.values.append(Value(name, a.dtype, a.shape if a.shape == b.shape else (-1,),
                                 a.exact and b.exact))
        if a.shape != b.shape:
            self.values.pop()  # usable only as an output
            self.outputs_extra.append(name)

    def scan(self) -> None:
        a = self.pick(lambda v: len(v.shape) >= 1 and v.dtype in FLOATS and v.shape[0] > 0)
        if a is None:
            return
        g = (f"scan(lambda r, acc: acc + r, sequences={a.name}, "
             f"outputs_info=T.zeros_like({a.name}[0]))[0]")
        self.emit(f"np.cumsum({a.name}, axis=0)", g, a.dtype, a.shape, a.exact, 2)

    def branch(self) -> None:
        c = self.pick(lambda v: v.exact and 0 not in v.shape)
        a = self.pick()
        if c is None or a is None:
            return
        name = self.fresh()
        other = self.c.choice([f"{a.name} * 2", f"{a.name}[::-1]" if a.shape else
                               f"{a.name} - 1", f"np.abs({a.name})",
                               f"{a.name}[1:]" if a.shape else f"{a.name} * 3"])
        same_shape = "[1:]" not in other  # else numpy's shape depends on the branch taken
        self.np_lines.append(f"if {c.name}.max() > 0:\n    {name} = {a.name} + 1\n"
                             f"else:\n    {name} = {other}")
        self.g_lines.append(f"{name} = ifelse(T.gt({c.name}.max(), 0), {a.name} + 1, "
                            f"{other.replace('np.abs(', 'abs(')})")
        if same_shape:
            self.values.append(Value(name, a.dtype, a.shape, a.exact))
        else:
            self.outputs_extra.append(name)

    def loop(self) -> None:
        a = self.pick(lambda v: v.dtype in FLOATS)
        if a is None:
            return
        n = self.c.integer(1, 4)
        name = self.fresh()
        self.np_lines.append(f"{name} = {a.name} * 0\nfor i in range({n}):\n"
                             f"    {name} = {name} * 0.5 + np.tanh({a.name} + i)")
        self.g_lines.append(f"{name} = {a.name} * 0\nfor i in range({n}):\n"
                            f"    {name} = {name} * 0.5 + T.tanh({a.name} + i)")
        self.values.append(Value(name, a.dtype, a.shape, False))
        self.ulps += 8 * n

    def build(self, seed: Any = None) -> Program:
        self.outputs_extra: list[str] = []
        specs = self.inputs()
        for _ in range(self.c.integer(2, 10)):
            self.step()
        derived = [v for v in self.values if not v.name.startswith("x")]
        n_out = self.c.integer(1, min(3, len(derived))) if derived else 0
        outs = [self.values[-1].name] if derived else [self.values[0].name]
        for _ in range(n_out - 1):
            outs.append(self.c.choice(derived).name)
        outs = list(dict.fromkeys(outs + self.outputs_extra))
        params = ", ".join(s["name"] for s in specs)
        ret = "    return " + ", ".join(outs) + ("," if len(outs) == 1 else "")
        np_src = (f"def program({params}):\n" + textwrap.indent("\n".join(self.np_lines),
                                                                "    ")
                  + ("\n" if self.np_lines else "") + ret + "\n")
        g_src = (f"def program({params}):\n" + textwrap.indent("\n".join(self.g_lines),
                                                               "    ")
                 + ("\n" if self.g_lines else "") + ret + "\n")
        return Program(self.kind, specs, np_src, g_src, self.ulps, seed, self.terms)


def generate(chooser: Any, kind: str | None = None, seed: Any = None) -> Program:
    """One random program (`kind`: "graph", "decorator" or None to draw it)."""
    kind = kind or chooser.choice(["graph", "decorator"])
    return Generator(chooser, kind).build(seed)


def programs(kind: str | None = None) -> Any:
    """A hypothesis strategy of Programs."""
    from hypothesis import strategies as st

    @st.composite
    def draw_program(draw: Any) -> Program:
        return generate(DrawChooser(draw), kind)

    return draw_program()


# -- running ----------------------------------------------------------------------------------
HEADER = "import numpy as np\nimport scipy.special\n"
G_HEADER = ("import numpy as np\nfrom tensordsl import tensor as T\n"
            "from tensordsl.ifelse import ifelse\nfrom tensordsl.scan import scan\n")


def load_function(source: str, header: str, folder: str, name: str) -> Any:
    """Write `source` to a module file (the decorator reads source files) and import it."""
    import importlib.util

    path = os.path.join(folder, f"{name}.py")
    with open(path, "w") as f:
        f.write(header + "\n\n" + source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module.program


def available_backends() -> list[str]:
    """The backends to compare: numpy (with all rewrites), c, opencl where available."""
    from tensordsl.testing import target_status

    return [b for b in ("numpy", "c", "opencl") if target_status(b)[0]]


def _fast_run(backend: str) -> Any:
    from tensordsl.runtime.mode import Mode

    return Mode("FAST_RUN", include=("fast_run",), backend=backend)


def run_backend(program: Program, backend: str, folder: str) -> Any:
    """The program's outputs on `backend` (all rewrites), as a list of arrays."""
    import tensordsl
    from tensordsl.config import config

    args = program.arrays()
    if program.kind == "decorator":
        fn = load_function(program.numpy_source, HEADER, folder, f"dec_{backend}")
        compiled = tensordsl.compile(fn, target=backend, mode=_fast_run(backend))
        out = compiled(*args)
    else:
        build = load_function(program.graph_source, G_HEADER, folder, f"graph_{backend}")
        with config.change_flags(cast_policy="numpy"):
            from tensordsl import tensor as T

            inputs = [T.TensorType(i["dtype"], tuple(1 if s == 1 else None for s in
                                                     i["shape"]))(i["name"])
                      if hasattr(T, "TensorType") else None for i in program.inputs]
            outs = build(*inputs)
            f = tensordsl.function(inputs, list(outs), mode=_fast_run(backend),
                                   on_unused_input="ignore")
        out = f(*args)
    return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


def run_reference(program: Program, folder: str) -> tuple[list[np.ndarray], float]:
    """numpy's outputs, and the largest magnitude of any finite intermediate value."""
    fn = load_function(program.numpy_source, HEADER, folder, "reference")
    with np.errstate(all="ignore"):
        out = fn(*[a.copy() for a in program.arrays()])
        values = list(program.arrays()) + list(out)
        try:  # every local of straight-line programs (the generated ones)
            local = load_function(_tracing(program.numpy_source), HEADER, folder, "trace")
            values += list(local(*program.arrays()))
        except Exception:  # noqa: BLE001 - a hand-written program: inputs and outputs
            pass
    return [np.asarray(o) for o in out], _largest(values)


def _largest(values: list[Any]) -> float:
    scale = 0.0
    for value in values:
        v = np.asarray(value)
        if v.dtype.kind in "fiu" and v.size:
            finite = v[np.isfinite(v)] if v.dtype.kind == "f" else v
            if finite.size:
                scale = max(scale, float(np.max(np.abs(finite.astype("float64")))))
    return scale


def _tracing(source: str) -> str:
    """The numpy source returning every value it computes (for the norm-wise scale)."""
    lines = source.splitlines()
    body = [line for line in lines[1:] if not line.strip().startswith("return")]
    names = sorted({line.split("=")[0].strip() for line in body
                    if "=" in line and line.strip()[0] == "v" and "==" not in
                    line.split("=")[0]})
    params = lines[0][len("def program("):-2]
    ret = "    return [" + ", ".join([p.strip() for p in params.split(",") if p.strip()]
                                     + [f"locals().get({n!r}, 0)" for n in names]) + "]"
    return "\n".join([lines[0], *body, ret]) + "\n"


def compare(got: list[np.ndarray], want: list[np.ndarray], program: Program,
            scale: float) -> str | None:
    """None when `got` matches `want` within the contract, else why not."""
    if len(got) != len(want):
        return f"{len(got)} outputs, numpy gives {len(want)}"
    for k, (g, w) in enumerate(zip(got, want)):
        if g.shape != w.shape or g.dtype != w.dtype:
            return (f"output {k}: {g.dtype}{list(g.shape)}, numpy gives "
                    f"{w.dtype}{list(w.shape)}")
        if g.dtype.kind not in "fc":
            if not np.array_equal(g, w):
                bad = np.argwhere(g != w)[0]
                return f"output {k}: exact result differs at {list(bad)}: {g[tuple(bad)]!r} " \
                       f"vs numpy {w[tuple(bad)]!r}"
            continue
        ulps = program.ulps + BASE_ULPS
        # a float64 result of float32 work carries float32 rounding (a backend may also
        # compute a float32 op in double): measure it in float32 units
        low = g.dtype == np.float64 and "float32" in json.dumps(program.inputs) + \
            program.numpy_source
        unit = np.dtype("float32") if low else g.dtype
        with np.errstate(all="ignore"):
            err = accuracy.ulp_distance(g.astype(unit), w.astype(unit))
        eps = float(np.finfo(unit).eps)
        with np.errstate(all="ignore"):
            # a sum of n terms in another order differs by up to ~n eps max|term|
            normwise = np.abs(g.astype("float64") - w.astype("float64")) \
                <= ulps * eps * max(scale, 1.0) * max(8, g.size, program.terms)
        # numpy overflowing where a stabilising rewrite does not: the rewrite is right
        ok = (err <= ulps) | normwise | ~np.isfinite(w)
        if not ok.all():
            i = tuple(np.argwhere(~ok)[0])
            return (f"output {k}: {int((~ok).sum())} elements beyond {ulps} ulp; at {list(i)}: "
                    f"{g[i]!r} vs numpy {w[i]!r} ({float(err[i]):.3g} ulp)")
    return None


def check(program: Program, backends: list[str] | None = None) -> dict[str, str | None]:
    """Run `program` on numpy and each backend: {backend: None (agrees) or failure}."""
    backends = backends or available_backends()
    results: dict[str, str | None] = {}
    with tempfile.TemporaryDirectory(prefix="td_fuzz_") as folder:
        sys.path.insert(0, folder)
        try:
            try:
                want, scale = run_reference(program, folder)
                want_error = None
            except Exception as err:  # noqa: BLE001 - compiled code must raise too
                want, scale, want_error = [], 0.0, err
            for backend in backends:
                try:
                    got = run_backend(program, backend, folder)
                except Exception as err:  # noqa: BLE001
                    if want_error is not None:
                        results[backend] = None
                    elif _documented(err):
                        results[backend] = None
                    else:
                        results[backend] = (f"{type(err).__name__}: {str(err)[:600]}\n"
                                            + traceback.format_exc(limit=-3)[-1200:])
                    continue
                if want_error is not None:
                    results[backend] = (f"returned a value where numpy raises "
                                        f"{type(want_error).__name__}: {want_error}")
                    continue
                results[backend] = compare(got, want, program, scale)
        finally:
            sys.path.remove(folder)
    return results


def _documented(err: Exception) -> bool:
    """A documented CompileError of the decorator (an unsupported construct)."""
    from tensordsl.errors import CompileError

    return isinstance(err, CompileError) and "not supported" in str(err)


def save_reproducer(program: Program, backend: str, failure: str,
                    folder: str = CORPUS) -> str:
    """Write the failing program to the corpus (a small JSON file); its path."""
    import hashlib

    os.makedirs(folder, exist_ok=True)
    data = program.to_json()
    data["failure"] = {"backend": backend, "message": failure.splitlines()[0][:300]}
    digest = hashlib.sha256(program.numpy_source.encode() + json.dumps(
        program.inputs).encode()).hexdigest()[:12]
    path = os.path.join(folder, f"{program.kind}_{digest}.json")
    with open(path, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    return path


def run_isolated(seeds: list[int], timeout: float = 300) -> list[dict]:
    """Generate and check the programs of `seeds` in a subprocess (a crash kills only it).

    Returns one record per seed: {"seed", "kind", "results"} or {"seed", "crash": why}
    for the program running when the subprocess died, or that ran longer than `timeout`
    seconds (a hang; the batch's time is not limited, so a loaded host only slows it)."""
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    records: list[dict] = []
    todo = list(seeds)
    while todo:
        done, returncode, stderr = _run_worker(todo, timeout, env, root)
        finished = {r["seed"] for r in done if "results" in r}
        records += [r for r in done if "results" in r]
        started = [r["seed"] for r in done if r.get("started") is not None]
        pending = [s for s in started if s not in finished]
        if returncode == 0 and not pending:
            break
        crashed = pending[0] if pending else todo[0]
        why = (f"no result after {timeout:.0f} s (killed)" if returncode is None
               else f"exit {returncode}: {stderr[-800:]}")
        records.append({"seed": crashed, "crash": why})
        todo = todo[todo.index(crashed) + 1:]
    return records


def _run_worker(seeds: list[int], timeout: float, env: dict, root: str
                ) -> tuple[list[dict], int | None, str]:
    """Run `_worker` on `seeds` in a subprocess: (its JSON records, exit status or None
    when a program ran past `timeout` and the process was killed, its stderr)."""
    import queue
    import tempfile
    import threading

    with tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([sys.executable, "-m", "tests.fuzz.fuzzlib", *map(str, seeds)],
                                stdout=subprocess.PIPE, stderr=err, text=True, env=env,
                                cwd=root)
        lines: queue.Queue = queue.Queue()

        def read() -> None:
            for line in proc.stdout:
                lines.put(line)
            lines.put(None)

        threading.Thread(target=read, daemon=True).start()
        records: list[dict] = []
        returncode: int | None = None
        while True:
            try:
                line = lines.get(timeout=timeout)  # each program gets `timeout` seconds
            except queue.Empty:
                proc.kill()
                proc.wait()
                break
            if line is None:
                returncode = proc.wait()
                break
            if line.startswith("{"):
                records.append(json.loads(line))
        err.seek(0)
        return records, returncode, err.read()


def _worker(seeds: list[int]) -> None:
    """The subprocess: one JSON line per program (started, then its results)."""
    backends = available_backends()
    for seed in seeds:
        print(json.dumps({"seed": seed, "started": seed}), flush=True)
        program = generate(RandomChooser(seed), seed=seed)
        results = check(program, backends)
        print(json.dumps({"seed": seed, "kind": program.kind, "results": results}),
              flush=True)


if __name__ == "__main__":
    _worker([int(s) for s in sys.argv[1:]])
