"""The `tensordsl` command: dump, graph, cache (`python -m tensordsl`, docs/cli.md).

Exit status: 0 success; 1 a CompileError (its message names the user's file:line with a
caret); 2 a usage error (unknown file, name, target, or a malformed signature).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import Any

from tensordsl.cli.loading import UsageError, parse_spec, resolve

MODES = ("FAST_RUN", "FAST_COMPILE", "DEBUG_MODE")


class _Parser(argparse.ArgumentParser):
    """argparse whose errors are one line and exit status 2."""

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    """The command line of `tensordsl`."""
    parser = _Parser(prog="tensordsl", description="Inspect what tensordsl compiles: "
                     "kernel sources, graphs, the kernel cache.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    sub.required = True
    dump = sub.add_parser("dump", help="write kernel sources and a manifest, without "
                          "running them", description="Write the kernel sources of "
                          "decorated functions or tensordsl.function objects defined in a "
                          "script, and a manifest.json per function, signature and target.")
    dump.add_argument("specs", nargs="+", metavar="FILE.py[:NAME[,NAME]]",
                      help="a script and the names in it (none: every tensordsl.function "
                      "and decorated function)")
    dump.add_argument("--signature", action="append", metavar="SIG",
                      help='argument types, e.g. "f8[:], f8[:]" (repeat for several)')
    dump.add_argument("--target", default="c", help="c, opencl, numpy or all (default c)")
    dump.add_argument("--out", default="tensordsl_dump", metavar="DIR",
                      help="output folder (default ./tensordsl_dump)")
    dump.add_argument("--mode", default="FAST_RUN", choices=MODES)
    dump.add_argument("--standalone", action="store_true",
                      help="C only: also NAME.c/NAME.h, compilable with `cc -c`, no Python")
    graph = sub.add_parser("graph", help="draw the rewritten graph",
                           description="Draw the rewritten graph of a function: -o "
                           "graph.png, graph.svg or graph.dot.")
    graph.add_argument("spec", metavar="FILE.py:NAME")
    graph.add_argument("-o", "--output", required=True, metavar="FILE")
    graph.add_argument("--signature", metavar="SIG")
    graph.add_argument("--target", default="numpy", help="the backend whose rewrites "
                       "to apply (default numpy: nothing is compiled)")
    graph.add_argument("--mode", default="FAST_RUN", choices=MODES)
    cache = sub.add_parser("cache", help="the compiled-kernel cache",
                           description="info: where it is and its size; list: the "
                           "libraries; clear: delete them.")
    cache.add_argument("action", choices=("info", "list", "clear"))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command; the exit status."""
    from tensordsl.errors import CompileError

    try:
        args = build_parser().parse_args(argv)
        if args.command == "dump":
            return cmd_dump(args)
        if args.command == "graph":
            return cmd_graph(args)
        return cmd_cache(args)
    except UsageError as err:
        print(f"tensordsl: error: {err}", file=sys.stderr)
        return 2
    except CompileError as err:
        print(f"tensordsl: CompileError: {err}", file=sys.stderr)
        return 1


def cmd_dump(args: argparse.Namespace) -> int:
    """`tensordsl dump`."""
    from tensordsl.cli import dump, standalone

    targets = dump.targets_of(args.target)
    if args.standalone and "c" not in targets:
        raise UsageError("--standalone writes C: use it with --target c or all")
    signatures = dump.parse_signatures(args.signature) or [None]
    items = [item for spec in args.specs for item in resolve(parse_spec(spec))]
    for name, obj in items:
        for s, types in enumerate(signatures):
            base = os.path.join(args.out, name)
            if len(signatures) > 1:
                base = os.path.join(base, f"s{s}")
            for target in targets:
                compiled = dump.compile_for(name, obj, types, target, args.mode)
                folder = os.path.join(base, target)
                manifest = dump.write(compiled, folder)
                print(f"{name} ({compiled.signature}) [{target}]: "
                      f"{len(manifest['kernels'])} kernel(s), "
                      f"{len(manifest['host_nodes'])} host node(s) -> {folder}")
                if args.standalone and target == "c":
                    c_text, h_text = standalone.render(compiled.fgraph, name)
                    for ext, text in ((".c", c_text), (".h", h_text)):
                        with open(os.path.join(base, f"{name}{ext}"), "w") as f:
                            f.write(text)
                    print(f"{name}: standalone {os.path.join(base, name)}.c/.h")
    return 0


def cmd_graph(args: argparse.Namespace) -> int:
    """`tensordsl graph`."""
    from tensordsl.cli import dump

    spec = parse_spec(args.spec)
    if len(spec.names) != 1:
        raise UsageError("graph draws one function: FILE.py:NAME")
    ext = os.path.splitext(args.output)[1].lower()
    if ext not in (".png", ".svg", ".dot"):
        raise UsageError(f"-o {args.output}: the format is given by the extension: .png, "
                         f".svg or .dot")
    (name, obj), = resolve(spec)
    types = dump.parse_signatures([args.signature] if args.signature else None)
    if args.target not in ("c", "opencl", "numpy"):
        raise UsageError(f"unknown target {args.target!r}; targets: c, opencl, numpy")
    compiled = dump.compile_for(name, obj, types[0] if types else None, args.target,
                                args.mode)
    from tensordsl.printing.dot import pydotprint

    pydotprint(compiled.fgraph, outfile=args.output, format=ext[1:], print_output_file=False)
    print(f"{name} ({compiled.signature}): {args.output}")
    return 0


def cmd_cache(args: argparse.Namespace) -> int:
    """`tensordsl cache info|list|clear`."""
    from tensordsl.backends.c.cache import cache_dir

    folder = cache_dir()
    # td_src_*/td_tmp_* are another process's build in progress: never counted or removed
    entries = sorted(f for f in os.listdir(folder) if f.startswith("td_")
                     and not f.startswith(("td_src_", "td_tmp_")))
    libraries = [f for f in entries if f.endswith(".so")]
    if args.action == "info":
        print(f"kernel cache: {folder}\nlibraries: {len(libraries)}\n"
              f"size: {sum(_size(folder, f) for f in entries) / 1e6:.1f} MB")
    elif args.action == "list":
        for f in libraries:
            print(f"{os.path.join(folder, f)}  {_size(folder, f)}")
    else:
        for f in entries:
            with contextlib.suppress(FileNotFoundError):  # removed meanwhile
                os.unlink(os.path.join(folder, f))
        print(f"removed {len(libraries)} libraries ({len(entries)} files) from {folder}")
    return 0


def _size(folder: str, name: str) -> int:
    try:
        return os.path.getsize(os.path.join(folder, name))
    except FileNotFoundError:  # removed by another process meanwhile
        return 0
