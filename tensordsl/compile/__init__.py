"""From symbolic graphs to callables: function(), shared variables, modes."""
