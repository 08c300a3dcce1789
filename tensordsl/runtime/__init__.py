"""The runtime: function(), shared variables, modes, DEBUG_MODE.

(Named `runtime` rather than `compile` so that `tensordsl.compile` is the decorator.)
"""
