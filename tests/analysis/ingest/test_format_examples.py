"""Timestamp formats in the load report are shown as examples, never as format strings or "epoch us"."""

from __future__ import annotations

import polars as pl
import pytest

from analysis.ingest._examples import epoch_example, timestamp_example, timestamp_examples
from analysis.ingest._parse import AWARE_FORMATS, NAIVE_FORMATS, plan_timestamp


@pytest.mark.parametrize("fmt", [*AWARE_FORMATS, *NAIVE_FORMATS, "%d/%m/%Y %H:%M:%S", "%m/%d/%Y"])
def test_every_supported_format_has_an_example_that_parses_back_with_it(fmt: str) -> None:
    example = timestamp_example(fmt)
    assert "%" not in example
    assert pl.Series([example]).str.to_datetime(fmt, strict=False, time_unit="us").is_not_null().all()


def test_day_and_month_cannot_be_confused_in_the_examples() -> None:
    assert timestamp_example("%d/%m/%Y") == "21/03/2025" and timestamp_example("%m/%d/%Y") == "03/21/2025"


@pytest.mark.parametrize(("unit", "value"), [("s", "1742562309"), ("ms", "1742562309250"),
                                             ("us", "1742562309250000"), ("ns", "1742562309250000000")])
def test_epoch_units_are_words_with_an_example_number(unit: str, value: str) -> None:
    text = epoch_example(unit)
    assert f"e.g. {value} = 2025-03-21 13:05:09 UTC" in text and "epoch" not in text


def test_several_formats_read_as_a_list_of_examples() -> None:
    assert timestamp_examples(("%Y-%m-%d", "%Y-%m-%d", "%d.%m.%Y")) == "like 2025-03-21 or 21.03.2025"


def test_the_plan_description_shows_examples() -> None:
    plan = plan_timestamp(pl.Series(["2025-03-01T10:00:00Z"]), column="ts", name="f.csv")
    assert plan.description.startswith("ts: like 2025-03-21T14:05:09")
    assert "%" not in plan.description
    epoch = plan_timestamp(pl.Series([1_740_823_200]), column="time", name="f.csv")
    assert epoch.description.startswith("time: seconds since 1 Jan 1970")
