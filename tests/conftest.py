"""Shared fixtures: small generated samples with planted truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.sample import Sample, generate_sample

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def small_sample() -> Sample:
    """2,000 users (~33k events): enough for planted effects to show, fast enough for unit tests."""
    return generate_sample(2_000, seed=11)
