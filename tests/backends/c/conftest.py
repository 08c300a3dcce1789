"""Fixtures of the C backend tests: a private compile dir for the session, and every C
unit rendered during the session collected and parsed again with a fresh pycparser."""

from __future__ import annotations

import pytest

from tensordsl.backends.c import validate
from tensordsl.config import config

RENDERED: list[str] = []


@pytest.fixture(scope="session", autouse=True)
def c_session(tmp_path_factory: pytest.TempPathFactory):
    """Compile into a fresh per-session cache; record every unit the backend renders."""
    folder = tmp_path_factory.mktemp("td_compiledir")
    folder.chmod(0o700)
    validate.add_observer(RENDERED.append)
    with config.change_flags(compiledir=str(folder)):
        yield folder
    validate.remove_observer(RENDERED.append)
    from pycparser import CParser

    parser = CParser()
    for source in set(RENDERED):  # every unit of the run, parsed exactly as built
        parser.parse(validate.parseable(source), "<kernel>")
