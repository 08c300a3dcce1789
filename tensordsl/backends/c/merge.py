"""Several generated C units merged into ONE translation unit, so that a bundle costs one
`cc1` and one `as` run instead of one per unit (each costs ~10 ms of start-up and per-file
set-up on top of the unit's own optimisation: docs/c_backend.md, compile time).

The units were written to be compiled alone, so they define the same file-scope names:
every kernel has its `td_array` typedef and its `td_kernel_flat` helper. `merge` renames,
inside each unit only, every name the unit defines at file scope with `static` or
`typedef` (and the tags of the structs it defines) by a `#define` before the unit and an
`#undef` after it; its exported names get the renames its caller chose (see
`build.renamed_unit`). Declarations of outside functions (`expf`, `omp_get_thread_num`)
are kept: C allows them to be repeated. Only identifiers the scanner found in our own
generated text are pasted, each checked to be an identifier.

`file_scope_names` is a small scanner, not a C parser: it reads the shapes of
declaration our renderers emit. On anything else (an enum, a declaration it cannot name)
it answers None, and the bundle is compiled as one file per unit as before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# comments, string and character literals, preprocessor lines: skipped; pp-numbers are
# read whole (`0x1.8p+1f` holds no identifier); identifiers; any other character
_TOKEN = re.compile(r"""
    (?P<skip>/\*.*?\*/ | //[^\n]* | "(?:\\.|[^"\\\n])*" | '(?:\\.|[^'\\\n])*'
             | ^[ \t]*\#(?:\\\n|[^\n])*)
  | (?P<num>\.?[0-9](?:[eEpP][+-]|[0-9A-Za-z_.])*)
  | (?P<id>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<punct>\S)
""", re.X | re.S | re.M)

_KEYWORDS = frozenset("""
    auto break case char const continue default do double else enum extern float for goto
    if inline int long register restrict return short signed sizeof static struct switch
    typedef union unsigned void volatile while _Bool _Complex _Noreturn _Alignas _Alignof
    _Atomic _Static_assert _Thread_local __attribute__ __restrict __restrict__ __inline
    __inline__ __extension__ __asm__ asm
""".split())
_QUALIFIERS = frozenset({"const", "volatile", "restrict", "__restrict", "__restrict__"})


class _Unsupported(Exception):
    """A declaration the scanner does not read: the caller falls back to separate files."""


def _tokens(source: str) -> list[str]:
    return [m.group() for m in _TOKEN.finditer(source) if m.lastgroup != "skip"]


def _declarations(tokens: list[str]) -> list[list[str]]:
    """The file-scope declarations, each its tokens with every `{...}` replaced by one
    "{}" token (a function definition ends at its body)."""
    out: list[list[str]] = []
    decl: list[str] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok == "{":
            depth, j = 1, i + 1
            while j < len(tokens) and depth:
                depth += {"{": 1, "}": -1}.get(tokens[j], 0)
                j += 1
            if depth:
                raise _Unsupported("unbalanced braces")
            body = bool(decl) and decl[-1] == ")" and "=" not in decl
            decl.append("{}")
            if body:  # a function definition: no `;` follows
                out.append(decl)
                decl = []
            i = j
            continue
        if tok == "}":
            raise _Unsupported("unbalanced braces")
        if tok == ";":
            out.append(decl)
            decl = []
        else:
            decl.append(tok)
        i += 1
    if decl:
        raise _Unsupported("a declaration without its end")
    return out


def _without_attributes(decl: list[str]) -> list[str]:
    """`decl` less its `__attribute__((...))` groups."""
    out: list[str] = []
    i = 0
    while i < len(decl):
        if decl[i] == "__attribute__" and i + 1 < len(decl) and decl[i + 1] == "(":
            depth, i = 1, i + 2
            while i < len(decl) and depth:
                depth += {"(": 1, ")": -1}.get(decl[i], 0)
                i += 1
            continue
        out.append(decl[i])
        i += 1
    return out


def _split_top(decl: list[str], sep: str) -> list[list[str]]:
    """`decl` split at the `sep` tokens outside parentheses and brackets."""
    parts: list[list[str]] = [[]]
    depth = 0
    for tok in decl:
        if tok in "([":
            depth += 1
        elif tok in ")]":
            depth -= 1
        if tok == sep and depth == 0:
            parts.append([])
        else:
            parts[-1].append(tok)
    return parts


def _declarator_name(part: list[str]) -> str:
    """The name one declarator declares (`part`: specifiers and/or declarator, no
    initializer): `f` of `static void f(...)` and of `typedef void (*f)(...)`, `a` of
    `static int a[3]`, `t` of `typedef struct {} t`."""
    if "(" in part:
        p = part.index("(")
        k = p + 1
        if k < len(part) and part[k] == "*":  # a pointer to function: `(*name)(...)`
            while k < len(part) and (part[k] == "*" or part[k] in _QUALIFIERS):
                k += 1
            name = part[k] if k < len(part) else ""
        else:
            name = part[p - 1] if p else ""
    else:
        head = part[:part.index("[")] if "[" in part else part
        name = head[-1] if head else ""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) or name in _KEYWORDS:
        raise _Unsupported(f"cannot name the declaration {' '.join(part)!r}")
    return name


def file_scope_names(source: str) -> list[str] | None:
    """The names `source` defines at file scope that only it may see: those of its
    `static` and `typedef` declarations and the tags of the structs and unions it
    defines, in order of appearance; None when the scanner cannot read a declaration."""
    try:
        names: list[str] = []
        for decl in _declarations(_tokens(source)):
            decl = _without_attributes(decl)
            if "enum" in decl:  # its constants would need renaming too
                raise _Unsupported("enum")
            for i, tok in enumerate(decl[:-2]):
                if tok in ("struct", "union") and decl[i + 2] == "{}":
                    names.append(decl[i + 1])
            head = decl[:decl.index("(")] if "(" in decl else decl
            if "static" not in head and "typedef" not in head:
                continue  # an outside function's declaration, or an exported definition
            for declarator in _split_top(decl, ","):
                plain = _split_top(declarator, "=")[0]
                names.append(_declarator_name([t for t in plain if t != "{}"]
                                              if "(" not in plain else plain))
        return list(dict.fromkeys(n for n in names if n not in _KEYWORDS))
    except _Unsupported:
        return None


def merge(units: Sequence[tuple[str, dict[str, str]]]) -> str | None:
    """One translation unit holding every `(source, renames)` unit: `renames` (old ->
    new, identifiers checked by the caller) for its exported names, `<name>_u<i>` for
    the file-scope names only it may see (i: its position), each undone after it. None
    when a unit cannot be scanned (`file_scope_names`)."""
    parts = []
    for i, (source, renames) in enumerate(units):
        local = file_scope_names(source)
        if local is None:
            return None
        names = dict(renames)
        names.update({n: f"{n}_u{i}" for n in local if n not in renames})
        defines = "".join(f"#define {old} {new}\n" for old, new in names.items())
        undefs = "".join(f"#undef {old}\n" for old in names)
        parts.append(f"/* unit {i} */\n{defines}{source}\n{undefs}")
    return "".join(parts)
