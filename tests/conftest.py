"""Shared fixtures: small generated samples with planted truth."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

from analysis.sample import Sample, generate_sample

# Property tests check invariants, never speed (speed is measured in benchmarks/): no per-example deadline, so a
# loaded CI machine cannot fail them. Tests may still set their own max_examples.
settings.register_profile("journeylens", deadline=None)
settings.load_profile("journeylens")

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def small_sample() -> Sample:
    """2,000 users (~33k events): enough for planted effects to show, fast enough for unit tests."""
    return generate_sample(2_000, seed=11)
