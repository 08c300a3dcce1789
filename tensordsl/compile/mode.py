"""Theano's theano.compile.mode: Mode, get_mode and the predefined modes."""

from tensordsl.runtime.mode import PREDEFINED, Mode, get_mode

predefined_modes = PREDEFINED

__all__ = ["Mode", "get_mode", "predefined_modes"]
