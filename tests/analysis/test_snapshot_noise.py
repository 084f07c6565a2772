"""The snapshot's differential-privacy mode: OpenDP Laplace releases, stated epsilon, nothing exact left over."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from analysis.errors import AnalysisError
from analysis.prepare import prepare
from analysis.privacy.noise import NoiseSettings, noisy_counts, noisy_sums, split_budget
from analysis.sample import generate_sample
from analysis.snapshot import read_snapshot, write_snapshot


@pytest.fixture(scope="module")
def events() -> pl.DataFrame:
    return prepare(generate_sample(400, seed=5).events)


def test_counts_are_noisy_but_centred_on_the_truth() -> None:
    draws = noisy_counts([1000] * 300, epsilon=1.0)  # one person moves one count: 300 independent draws
    assert len(set(draws)) > 5  # random, not the exact count
    assert abs(sum(draws) / len(draws) - 1000) < 1.0  # Laplace(scale 1): the mean of 300 draws is within 1


def test_more_epsilon_means_less_noise() -> None:
    def spread(eps: float) -> float:
        return sum(abs(v - 1000.0) for v in noisy_sums([1000.0] * 200, epsilon=eps, bound=1.0)) / 200

    assert spread(10.0) < spread(0.1) / 10


def test_the_budget_is_shared_and_invalid_settings_are_refused() -> None:
    assert split_budget(1.0, 4) == 0.25
    with pytest.raises(AnalysisError, match="epsilon"):
        NoiseSettings(epsilon=0)
    with pytest.raises(AnalysisError, match="value_cap"):
        NoiseSettings(value_cap=-1)


def test_a_noisy_snapshot_states_its_epsilon_and_what_it_protects(events: pl.DataFrame, tmp_path: Path) -> None:
    snap = write_snapshot(events, tmp_path, noise=NoiseSettings(epsilon=2.0, value_cap=200.0))
    note = snap.metadata["differential_privacy"]
    assert note["epsilon"] == 2.0 and "one person" in note["protects"] and "OpenDP" in note["mechanism"]
    assert "epsilon = 2.0" in (snap.html or "")
    assert read_snapshot(tmp_path).metadata["differential_privacy"] == note
    assert any(e.reason == "noise" for e in snap.manifest.entries)


def test_noise_mode_leaves_no_exact_statistic_outside_the_guarantee(events: pl.DataFrame, tmp_path: Path) -> None:
    exact = write_snapshot(events, tmp_path / "exact")
    noisy = write_snapshot(events, tmp_path / "noisy", noise=NoiseSettings(epsilon=1.0))
    attribution = noisy.tables["attribution"]
    assert set(attribution["model"].unique()) <= {"First touch", "Last touch", "Linear"}  # no Markov/Shapley
    assert attribution["conversions_low"].null_count() == attribution.height
    assert attribution["users"].null_count() == attribution.height
    assert noisy.tables["personas"]["median_sessions"].null_count() == noisy.tables["personas"].height
    changed = [name for name in ("channels", "paths")
               if noisy.tables[name]["users"].to_list() != exact.tables[name]["users"].to_list()]
    assert changed  # the counts are released with noise
    for table in noisy.tables.values():
        assert (table["users"].drop_nulls() >= 0).all()
