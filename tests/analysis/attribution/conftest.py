"""Fixtures for the attribution tests: prepared sample events and their path table."""

from __future__ import annotations

import polars as pl
import pytest

from analysis.attribution import conversion_paths
from analysis.prepare import prepare
from analysis.sample import Sample


@pytest.fixture(scope="session")
def small_sample_events(small_sample: Sample) -> pl.DataFrame:
    """The shared 2,000-user sample, prepared (stitched, channels, sessions)."""
    return prepare(small_sample.events)


@pytest.fixture(scope="session")
def small_sample_paths(small_sample_events: pl.DataFrame) -> pl.DataFrame:
    """Its conversion paths (30-day lookback) with touch times."""
    return conversion_paths(small_sample_events, with_times=True)
