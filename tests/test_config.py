"""Configuration: TENSORDSL_FLAGS at import, attribute access, change_flags, bad flags."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import tensordsl
from tensordsl.config import FLAGS, parse_flags
from tensordsl.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def run_python(code: str, flags: str | None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("TENSORDSL_FLAGS", None)
    if flags is not None:
        env["TENSORDSL_FLAGS"] = flags
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, text=True,
                          capture_output=True, timeout=120)


def test_flags_env_var_is_parsed_at_import():
    code = ("import tensordsl as t; from tensordsl import tensor as T; "
            "print(t.config.floatX, t.config.mode, t.config.device, T.vector().dtype)")
    result = run_python(code, " floatX=float32 , mode=FAST_COMPILE,device=cpu")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["float32", "FAST_COMPILE", "cpu", "float32"]
    default = run_python(code, None)
    assert default.stdout.split() == ["float64", "FAST_RUN", "cpu", "float64"]


def test_unknown_flag_in_env_var_fails_import_listing_known_flags():
    result = run_python("import tensordsl", "floatx=float32")
    assert result.returncode != 0
    assert "unknown config flag 'floatx'" in result.stderr
    for name in ("floatX", "mode", "device"):
        assert name in result.stderr


def test_bad_flag_value_in_env_var_names_the_flag():
    result = run_python("import tensordsl", "floatX=float16")
    assert result.returncode != 0
    assert "floatX" in result.stderr and "float16" in result.stderr


def test_parse_flags():
    assert parse_flags("floatX=float32,mode=FAST_COMPILE") == {
        "floatX": "float32", "mode": "FAST_COMPILE"}
    assert parse_flags("") == {}
    assert parse_flags("openmp=False") == {"openmp": False}
    with pytest.raises(ConfigError, match="name=value"):
        parse_flags("floatX")
    with pytest.raises(ConfigError, match="device"):
        parse_flags("device=gpu7")


def test_read_and_set_attributes():
    config = tensordsl.config
    old = config.floatX
    try:
        config.floatX = "float32"
        assert config.floatX == "float32"
        assert tensordsl.tensor.matrix().dtype == "float32"
    finally:
        config.floatX = old
    with pytest.raises(ConfigError, match="expected one of float64, float32"):
        config.floatX = "float16"
    assert config.floatX == old


def test_change_flags_restores_even_after_an_error():
    config = tensordsl.config
    before = (config.floatX, config.mode)
    with pytest.raises(RuntimeError):
        with config.change_flags(floatX="float32", mode="FAST_COMPILE"):
            assert (config.floatX, config.mode) == ("float32", "FAST_COMPILE")
            raise RuntimeError
    assert (config.floatX, config.mode) == before


def test_change_flags_validates_before_changing_anything():
    config = tensordsl.config
    before = config.floatX
    with pytest.raises(ConfigError):
        with config.change_flags(floatX="float32", nonsense=1):
            pass
    assert config.floatX == before


def test_unknown_flag_lists_known_ones():
    with pytest.raises(AttributeError) as info:
        tensordsl.config.floatx  # noqa: B018
    for name in FLAGS:
        assert name in str(info.value)
    with pytest.raises(ConfigError, match="known flags: .*floatX"):
        tensordsl.config.flaotX = "float32"
    with pytest.raises(ConfigError, match="unknown config flag 'nope'"):
        with tensordsl.config.change_flags(nope=1):
            pass


def test_config_flags_are_listed():
    assert {"mode", "device", "floatX", "cast_policy"} <= set(dir(tensordsl.config))
    assert "floatX=" in repr(tensordsl.config)


def test_mode_flag_selects_the_default_mode():
    from tensordsl.runtime.mode import get_mode

    with tensordsl.config.change_flags(mode="FAST_COMPILE"):
        assert get_mode().name == "FAST_COMPILE"
    with pytest.raises(ValueError, match="known modes"):
        get_mode("SLOW")
