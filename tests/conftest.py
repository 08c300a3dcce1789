"""Shared pytest configuration: hypothesis profiles.

Profiles (select with HYPOTHESIS_PROFILE=name or `pytest --hypothesis-profile name`):
  default  modest example counts, no deadline (compile time varies on a loaded machine)
  ci       fewer examples, derandomized, so CI runs are short and reproducible
  thorough many examples, for a local deep check
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
}
settings.register_profile("default", max_examples=40, **_COMMON)
settings.register_profile("ci", max_examples=15, derandomize=True, print_blob=True, **_COMMON)
settings.register_profile("thorough", max_examples=300, **_COMMON)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
