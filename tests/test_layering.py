"""The backend seam as a rule: ops, rewrites, graph, kernel IR, frontend and the other
front-end packages import no backend module (not even lazily inside a function); they
reach backends through `tensordsl.runtime` and the registry."""

from __future__ import annotations

import ast
import pathlib

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "tensordsl"
# Everything that describes or builds graphs; backends/, runtime/ and the CLI may import
# backends.
BACKEND_FREE = ["ops", "rewrite", "graph", "kernel", "frontend", "tensor", "gradient", "scan",
                "printing", "ifelse.py", "innergraph.py", "dtypes.py", "config.py",
                "accuracy.py"]


def backend_imports(path: pathlib.Path) -> list[str]:
    """'line: module' for every import of tensordsl.backends in the file at `path`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        found += [f"{node.lineno}: {n}" for n in names
                  if n == "tensordsl.backends" or n.startswith("tensordsl.backends.")]
    return sorted(set(found))


def modules() -> list[pathlib.Path]:
    out: list[pathlib.Path] = []
    for entry in BACKEND_FREE:
        path = PACKAGE / entry
        out += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return out


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_backend_imports(path):
    assert backend_imports(path) == [], f"{path.relative_to(PACKAGE)} imports a backend"


def test_the_checker_finds_lazy_imports(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from tensordsl.backends.c import schedule\n"
                   "import tensordsl.backends.numpy.vm as vm\n"
                   "from tensordsl import backends\n")
    assert backend_imports(bad) == ["2: tensordsl.backends.c", "2: tensordsl.backends.c.schedule",
                                    "3: tensordsl.backends.numpy.vm", "4: tensordsl.backends"]


def test_every_listed_module_exists():
    assert all((PACKAGE / entry).exists() for entry in BACKEND_FREE)
    assert len(modules()) > 50
