"""Hypothesis profiles for the property tests.

``ci`` (the default) is deterministic and bounded: the same examples on every run
(``derandomize``), a modest number of them, no per-example deadline (a shared 2-core machine
is slow at times) and no example database written into the work tree. ``HYPOTHESIS_PROFILE=deep``
explores more, for a developer hunting a bug.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", derandomize=True, max_examples=40, deadline=None, database=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "deep", max_examples=1000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
