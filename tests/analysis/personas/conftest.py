"""Fixtures for the persona tests: planted personas from the generator, and pure noise with no personas at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import polars as pl
import pytest

from analysis.prepare import prepare
from analysis.sample import generate_sample


@dataclass(frozen=True)
class Planted:
    """Prepared events and each prepared user's planted persona (``user_id``, ``truth``)."""

    events: pl.DataFrame
    truth: pl.DataFrame


@pytest.fixture(scope="session")
def planted() -> Planted:
    """4,000 generated users, prepared (ids stitched), with the planted persona per resolved user id."""
    sample = generate_sample(4_000, seed=3)
    users = sample.truth.users
    # prepared ids are the user_id, or the anonymous_id of users who never logged in: map both to the truth
    truth = pl.concat([
        users.select("user_id", pl.col("persona").alias("truth")).drop_nulls("user_id"),
        users.select(pl.col("anonymous_id").alias("user_id"), pl.col("persona").alias("truth")),
    ]).unique("user_id", keep="first")
    return Planted(events=prepare(sample.events), truth=truth)


def noise_events(n_users: int, *, seed: int = 0, per_user: int = 12) -> pl.DataFrame:
    """Users whose events, channels and times are drawn uniformly at random: no structure to find."""
    rng = np.random.default_rng(seed)
    n = n_users * per_user
    user = np.repeat(np.arange(n_users), per_user)
    start_us = int(datetime(2026, 1, 1, tzinfo=UTC).timestamp() * 1e6)
    offsets = np.sort(rng.integers(0, 30 * 86_400, size=(n_users, per_user)), axis=1).ravel() * 1_000_000
    return pl.DataFrame({
        "user_id": pl.Series(user).cast(pl.String),
        "timestamp": pl.Series(start_us + offsets).cast(pl.Datetime("us", "UTC")),
        "event": np.array(["a", "b", "c", "d", "e", "f"])[rng.integers(0, 6, n)],
        "channel": np.array(["w", "x", "y", "z"])[rng.integers(0, 4, n)],
    })


@pytest.fixture(scope="session")
def noise() -> pl.DataFrame:
    """3,000 users of pure noise."""
    return noise_events(3_000)
