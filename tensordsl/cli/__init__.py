"""The `tensordsl` command line (docs/cli.md): `tensordsl dump|graph|cache`."""

from __future__ import annotations

from tensordsl.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
