"""Shared pytest configuration: hypothesis profiles.

Profiles (select with HYPOTHESIS_PROFILE=name or `pytest --hypothesis-profile name`):
  default  modest example counts, no deadline (compile time varies on a loaded machine)
  ci       the default counts, derandomized: a CI run (CI=true in the environment) draws
           the same examples every time, so it passes or fails on the code alone; local
           runs keep drawing new examples, and tools/fuzz.py explores at length
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
settings.register_profile("ci", max_examples=40, derandomize=True, print_blob=True, **_COMMON)
settings.register_profile("thorough", max_examples=300, **_COMMON)
_IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if _IN_CI else "default"))
