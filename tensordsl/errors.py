"""Exception types raised by tensordsl (beyond the built-in TypeError/ValueError)."""


class CompileError(Exception):
    """A program cannot be compiled: unsupported construct, failed build, bad source."""


class UnusedInputError(ValueError):
    """An input given to `function` is not used to compute any output or update."""


class ConfigError(ValueError):
    """An unknown configuration flag or an invalid flag value."""
