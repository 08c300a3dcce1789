"""The runtime: function(), shared variables, modes.

`tensordsl.compile` is also the `@tensordsl.compile` decorator: this package is the
attribute `tensordsl.compile` (so `tensordsl.compile.function` keeps working), and
calling it forwards to `tensordsl.frontend.compile`.
"""

import sys
import types


class _CallableModule(types.ModuleType):
    """This package, callable as the `@tensordsl.compile` decorator."""

    def __call__(self, *args, **kwargs):
        from tensordsl.frontend import compile as frontend_compile

        return frontend_compile(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
