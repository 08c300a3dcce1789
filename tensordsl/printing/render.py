"""Finding and running a Graphviz renderer: system `dot`, else pip's `graphviz-pure`.

The dot text goes to the renderer on stdin and the picture comes back on stdout, so no
user-controlled string (a file name, a variable name) ever reaches its command line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig

# Searched in this order: system Graphviz, then the pure port the `viz` extra installs.
RENDERER_NAMES = ("dot", "graphviz-pure")
# What each renderer's -T accepts among the formats pydotprint offers.
NATIVE_FORMATS = {"dot": ("png", "svg", "pdf"), "graphviz-pure": ("png", "svg")}
INSTALL_ADVICE = ('install one with: pip install "tensordsl[viz]" (the graphviz-pure '
                  'renderer), or your system\'s Graphviz (apt install graphviz, '
                  'brew install graphviz, conda install graphviz)')
RENDER_TIMEOUT_S = 300


class GraphvizNotFoundError(RuntimeError):
    """No Graphviz renderer (`dot` or `graphviz-pure`) could be found."""


class RenderError(RuntimeError):
    """The renderer ran but failed."""


def script_dirs() -> list[str]:
    """Where pip puts executables for this interpreter (searched after PATH).

    A Jupyter kernel started without its virtual environment activated has the
    environment's bin folder off PATH, yet `pip install` put graphviz-pure there.
    """
    dirs = [sysconfig.get_path("scripts"), os.path.dirname(sys.executable)]
    return [d for d in dict.fromkeys(dirs) if d]


def find_renderer() -> tuple[str, str] | None:
    """(kind, executable path) of the first renderer found, or None."""
    for name in RENDERER_NAMES:
        path = shutil.which(name)
        if path is None:
            path = shutil.which(name, path=os.pathsep.join(script_dirs()))
        if path is not None:
            return name, path
    return None


def searched_places() -> str:
    """A description of where find_renderer looked (for error messages)."""
    return (f"looked for {' and '.join(repr(n) for n in RENDERER_NAMES)} on PATH and in "
            f"{', '.join(script_dirs())}")


def run_renderer(executable: str, dot_text: str, fmt: str) -> bytes:
    """Render `dot_text` to `fmt` bytes with `executable` (argument list, no shell)."""
    try:
        proc = subprocess.run([executable, f"-T{fmt}"], input=dot_text.encode("utf-8"),
                              capture_output=True, timeout=RENDER_TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as err:
        raise RenderError(f"could not run the Graphviz renderer {executable}: {err}") from None
    if proc.returncode != 0 or not proc.stdout:
        message = proc.stderr.decode("utf-8", "replace").strip()
        raise RenderError(f"the Graphviz renderer {executable} failed (exit code "
                          f"{proc.returncode}) rendering {fmt}: {message or 'no output'}")
    return proc.stdout
