"""OpenCL test fixtures: every program the backend checks during the session is parsed
again at the end with a fresh pycparserext parser, and the report header says which
device the tests run on (or why they skip)."""

from __future__ import annotations

import pytest

from .helpers import OK, WHY

RENDERED: list[str] = []


def pytest_report_header(config):
    if not OK:
        return f"tensordsl OpenCL tests: skipped ({WHY})"
    from tensordsl.backends.opencl.device import select

    info = select("opencl")
    return f"tensordsl OpenCL tests on {info.spec}: {info.name} ({info.type}, fp64={info.fp64})"


@pytest.fixture(scope="session", autouse=True)
def opencl_programs():
    """Record every OpenCL program checked; re-parse them all at the end."""
    if not OK:
        yield
        return
    from tensordsl.backends.c.validate import strip_comments
    from tensordsl.backends.opencl import build

    build.add_observer(RENDERED.append)
    yield
    build.remove_observer(RENDERED.append)
    from pycparserext.ext_c_parser import OpenCLCParser

    for source in set(RENDERED):
        OpenCLCParser().parse(strip_comments(source), "<opencl>")
