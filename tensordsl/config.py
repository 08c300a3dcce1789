"""Configuration flags: the TENSORDSL_FLAGS environment variable, `tensordsl.config`.

`TENSORDSL_FLAGS="mode=FAST_RUN,floatX=float32"` is parsed once at import. Flags are read
and set as attributes (`config.floatX = "float32"`) and changed temporarily with
`with config.change_flags(floatX="float32"): ...`. Every flag is declared here with its
default and the values it accepts, so an unknown flag or value is an error that says
what is known.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from tensordsl.errors import ConfigError


@dataclass(frozen=True)
class Flag:
    """One configuration flag: its default, a converter/validator and a description."""

    name: str
    default: Any
    convert: Callable[[str | Any], Any]
    doc: str


def _choice(*allowed: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if value not in allowed:
            raise ConfigError(f"expected one of {', '.join(allowed)}, got {value!r}")
        return value

    return convert


def _device(value: Any) -> str:
    value = str(value)
    if value == "cpu" or value == "opencl" or value.startswith("opencl:"):
        return value
    raise ConfigError(f"expected 'cpu', 'opencl' or 'opencl:P:D', got {value!r}")


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"expected a boolean (True/False/1/0), got {value!r}")


def _text(value: Any) -> str:
    return str(value)


TEST_VALUE_MODES = ("off", "ignore", "warn", "raise", "pdb")


def _compute_test_value(value: Any) -> str:
    if value in TEST_VALUE_MODES:
        return value
    raise ConfigError(f"expected one of {', '.join(TEST_VALUE_MODES)}, got {value!r}")


class WarnFlags:
    """Theano's `config.warn.*` flags (warnings about bugs of old Theano versions).

    tensordsl never had those bugs, so every flag reads False unless a program (or
    THEANO_FLAGS) sets it; any name is accepted, as programs toggle them to silence
    Theano's warnings.
    """

    def __init__(self) -> None:
        object.__setattr__(self, "_values", {})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return object.__getattribute__(self, "_values").get(name, False)

    def __setattr__(self, name: str, value: Any) -> None:
        self._values[name] = _bool(value)

    def __repr__(self) -> str:
        return f"WarnFlags({self._values!r})"


FLAGS: dict[str, Flag] = {
    flag.name: flag
    for flag in [
        Flag("mode", "FAST_RUN", _choice("FAST_RUN", "FAST_COMPILE", "DEBUG_MODE"),
             "default compilation mode of `function`"),
        Flag("device", "cpu", _device, "where compiled code runs: cpu, opencl, opencl:P:D"),
        Flag("floatX", "float64", _choice("float64", "float32"),
             "default float dtype of generic constructors and Python float constants"),
        Flag("cast_policy", "theano", _choice("theano", "numpy"),
             "dtype rules of the symbolic API: Theano 1.0's, or numpy's (NEP 50)"),
        Flag("compiledir", "", _text, "directory of the compiled-kernel cache ('' = per-user)"),
        Flag("cxx", "cc", _text, "C compiler used by the C backend"),
        Flag("cflags", "-O3 -march=native -ffp-contract=off -fno-math-errno", _text,
             "optimisation flags of the C backend"),
        Flag("c_march", "native", _text, "-march= of the C backend (e.g. x86-64-v3)"),
        Flag("openmp", True, _bool, "use OpenMP pragmas in generated C"),
        Flag("c_driver", True, _bool,
             "run a whole C-backend function in one generated driver (one foreign call)"),
        Flag("print_rewrites", False, _bool, "print every rewrite as it fires"),
        Flag("compute_test_value", "off", _compute_test_value,
             "Theano's test values: evaluate each op on tag.test_value as the graph is "
             "built; what to do when an input has none: off, ignore, warn, raise, pdb"),
        Flag("compute_test_value_opt", "off", _compute_test_value,
             "compute_test_value while function() rewrites and compiles a graph"),
        Flag("on_unused_input", "raise", _choice("raise", "warn", "ignore"),
             "what function() does with an input no output uses, when its "
             "on_unused_input argument is None (Theano's default)"),
        Flag("exception_verbosity", "low", _choice("low", "high"),
             "'high' adds a debugprint of the failing node to run-time errors (Theano's)"),
        Flag("warn_float64", "ignore", _choice("ignore", "warn", "raise", "pdb"),
             "what to do when a float64 tensor variable is created (Theano's)"),
        Flag("print_test_value", False, _bool,
             "Theano's: repr() of a variable with a test value shows the value on the "
             "next line (str() stays the name)"),
    ]
}


class Config:
    """Attribute access to the flags; assignment validates the value."""

    def __init__(self) -> None:
        object.__setattr__(self, "_values", {name: f.default for name, f in FLAGS.items()})
        object.__setattr__(self, "warn", WarnFlags())

    def __getattr__(self, name: str) -> Any:
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        raise AttributeError(_unknown(name))

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("warn."):
            setattr(self.warn, name[len("warn."):], value)
            return
        self._values[name] = _convert(name, value)

    def __dir__(self) -> list[str]:
        return sorted(FLAGS)

    def __repr__(self) -> str:
        items = ", ".join(f"{k}={v!r}" for k, v in self._values.items())
        return f"Config({items})"

    @contextlib.contextmanager
    def change_flags(self, **changes: Any) -> Iterator[None]:
        """Set flags for the duration of a `with` block, restoring them afterwards."""
        converted = {name: _convert(name, value) for name, value in changes.items()}
        saved = {name: self._values[name] for name in converted}
        self._values.update(converted)
        try:
            yield
        finally:
            self._values.update(saved)


def _unknown(name: str) -> str:
    return f"unknown config flag {name!r}; known flags: {', '.join(sorted(FLAGS))}"


def _convert(name: str, value: Any) -> Any:
    if name not in FLAGS:
        raise ConfigError(_unknown(name))
    try:
        return FLAGS[name].convert(value)
    except ConfigError as err:
        raise ConfigError(f"config flag {name}: {err}") from None


def parse_flags(text: str) -> dict[str, Any]:
    """Parse 'name=value,name=value' (the TENSORDSL_FLAGS syntax) into converted values."""
    parsed: dict[str, Any] = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        if "=" not in item:
            raise ConfigError(f"TENSORDSL_FLAGS entry {item!r} is not of the form name=value")
        name, value = (part.strip() for part in item.split("=", 1))
        parsed[name] = _convert(name, value)
    return parsed


def _theano_only(name: str, value: str) -> bool:
    """True for a THEANO_FLAGS entry tensordsl ignores: a flag it does not have, or a
    Theano-only value (GPU devices)."""
    if name.startswith("warn."):
        return False
    if name not in FLAGS:
        return True
    return name == "device" and value.startswith(("cuda", "gpu"))


def parse_theano_flags(text: str) -> tuple[dict[str, Any], list[str]]:
    """Parse THEANO_FLAGS: (the entries tensordsl applies, the Theano-only ones ignored).

    `warn.*` entries set `config.warn`; known flags with an invalid value are errors.
    """
    kept: list[str] = []
    ignored: list[str] = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        name, _, value = (part.strip() for part in item.partition("="))
        (ignored if _theano_only(name, value) else kept).append(item)
    parsed: dict[str, Any] = {}
    for item in kept:
        name, _, value = (part.strip() for part in item.partition("="))
        if not _:
            raise ConfigError(f"THEANO_FLAGS entry {item!r} is not of the form name=value")
        parsed[name] = _bool(value) if name.startswith("warn.") else _convert(name, value)
    return parsed, ignored


def _load_environment() -> None:
    """THEANO_FLAGS first, then TENSORDSL_FLAGS (which wins where both set a flag)."""
    import warnings

    theano_flags, ignored = parse_theano_flags(os.environ.get("THEANO_FLAGS", ""))
    if ignored:
        warnings.warn(f"THEANO_FLAGS: ignoring the Theano-only entries {', '.join(ignored)}",
                      stacklevel=2)
    for name, value in theano_flags.items():
        setattr(config, name, value)
    for name, value in parse_flags(os.environ.get("TENSORDSL_FLAGS", "")).items():
        setattr(config, name, value)


config = Config()
_load_environment()
