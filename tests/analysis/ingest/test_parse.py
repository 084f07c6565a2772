from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest
from polars.testing import assert_series_equal

from analysis.errors import IngestError
from analysis.ingest._parse import (
    detect_decimal,
    epoch_unit,
    has_control_chars,
    number_expr,
    plan_timestamp,
    text_expr,
    timestamp_expr,
)


def parse(values: list[str | None], tz: str = "UTC",
          **kw: object) -> tuple[list[datetime | None], list[bool], list[bool]]:
    s = pl.Series("t", values, dtype=pl.String)
    plan = plan_timestamp(s, column="t", name="f", **kw)  # type: ignore[arg-type]
    ts, gap, overlap = timestamp_expr("t", plan, pl.String(), tz)
    out = pl.DataFrame({"t": s}).with_columns(ts.alias("ts"), gap.alias("gap"), overlap.alias("overlap"))
    return out["ts"].to_list(), out["gap"].to_list(), out["overlap"].to_list()


@pytest.mark.parametrize(
    ("value", "unit"),
    [(1_740_823_200, "s"), (1_740_823_200_123, "ms"), (1_740_823_200_123_456, "us"),
     (1_740_823_200_123_456_789, "ns")],
)
def test_epoch_unit_from_magnitude(value: int, unit: str) -> None:
    assert epoch_unit(pl.Series([value]), column="t", name="f") == unit


def test_epoch_values_all_land_on_the_same_instant() -> None:
    got, _, _ = parse(["1740823200", "1740823200000", "1740823200000000", "1740823200000000000"][:1])
    assert got == [datetime(2025, 3, 1, 10, 0, tzinfo=UTC)]
    for v in ("1740823200000", "1740823200000000", "1740823200000000000"):
        assert parse([v])[0] == [datetime(2025, 3, 1, 10, 0, tzinfo=UTC)]


def test_epoch_column_mixing_units_is_rejected() -> None:
    with pytest.raises(IngestError, match=r"f, column 't' mixes epoch units: 1740823200 \(s\), 1740823200000 \(ms\)"):
        epoch_unit(pl.Series([1_740_823_200, 1_740_823_200_000]), column="t", name="f")


def test_excel_serial_dates_are_explained() -> None:
    with pytest.raises(IngestError, match="look like Excel serial dates"):
        plan_timestamp(pl.Series(["45000", "45001"]), column="Datum", name="f")


def test_same_instant_in_three_notations_is_equal() -> None:
    got, _, _ = parse(["2025-03-01T11:00:00+01:00", "2025-03-01T10:00:00Z", "2025-03-01 10:00:00"])
    assert got == [datetime(2025, 3, 1, 10, 0, tzinfo=UTC)] * 3


def test_naive_times_read_in_the_stated_zone() -> None:
    got, _, _ = parse(["01.07.2025 12:00"], tz="Europe/Berlin")
    assert got == [datetime(2025, 7, 1, 10, 0, tzinfo=UTC)]


def test_whitelisted_formats_coalesce_and_the_rest_is_null() -> None:
    values = ["2025-03-01T10:00:00.5Z", "2025-03-01 10:00:00", "2025-03-01T10:00", "2025-03-01",
              "01.03.2025 10:00:00", "01.03.2025 10:00", "01.03.2025", "March 1st", None]
    got, _, _ = parse(values)
    assert got == [datetime(2025, 3, 1, 10, 0, 0, 500000, tzinfo=UTC), datetime(2025, 3, 1, 10, tzinfo=UTC),
                   datetime(2025, 3, 1, 10, tzinfo=UTC), datetime(2025, 3, 1, tzinfo=UTC),
                   datetime(2025, 3, 1, 10, tzinfo=UTC), datetime(2025, 3, 1, 10, tzinfo=UTC),
                   datetime(2025, 3, 1, tzinfo=UTC), None, None]


def test_ambiguous_day_month_asks_for_date_order() -> None:
    with pytest.raises(IngestError, match=r"'01/02/2025 10:00' can be day/month or month/day .*date_order='DMY'"):
        plan_timestamp(pl.Series(["01/02/2025 10:00", "03/04/2025 11:00"]), column="t", name="f")


@pytest.mark.parametrize(("order", "month"), [("DMY", 2), ("MDY", 1)])
def test_date_order_resolves_slashed_dates(order: str, month: int) -> None:
    got, _, _ = parse(["01/02/2025 10:00"], date_order=order)
    assert got == [datetime(2025, month, 2 if order == "MDY" else 1, 10, tzinfo=UTC)]


def test_a_day_over_12_settles_the_order() -> None:
    got, _, _ = parse(["13/02/2025", "01/02/2025"])
    assert got == [datetime(2025, 2, 13, tzinfo=UTC), datetime(2025, 2, 1, tzinfo=UTC)]


def test_unsupported_timestamp_column_names_the_value_and_formats() -> None:
    with pytest.raises(IngestError, match=r"f, column 't': 'gestern' is not a supported timestamp\. Supported: ISO"):
        plan_timestamp(pl.Series(["gestern"]), column="t", name="f")


def test_dst_gap_moves_forward_and_overlap_takes_earlier() -> None:
    got, gap, overlap = parse(["2025-03-30 02:30:00", "2025-10-26 02:30:00", "2025-06-01 12:00:00"],
                              tz="Europe/Berlin")
    assert got == [datetime(2025, 3, 30, 1, 30, tzinfo=UTC), datetime(2025, 10, 26, 0, 30, tzinfo=UTC),
                   datetime(2025, 6, 1, 10, 0, tzinfo=UTC)]
    assert (gap, overlap) == ([True, False, False], [False, True, False])


def test_native_datetime_naive_and_aware() -> None:
    naive = pl.Series("t", [datetime(2025, 1, 1, 12)], dtype=pl.Datetime("ns"))
    plan = plan_timestamp(naive, column="t", name="f")
    ts, _, _ = timestamp_expr("t", plan, naive.dtype, "Europe/Berlin")
    assert pl.DataFrame({"t": naive}).select(ts)["t"].to_list() == [datetime(2025, 1, 1, 11, tzinfo=UTC)]
    aware = naive.dt.replace_time_zone("America/New_York")
    ts, _, _ = timestamp_expr("t", plan, aware.dtype, "Europe/Berlin")
    out = pl.DataFrame({"t": aware}).select(ts)["t"]
    assert out.dtype == pl.Datetime("us", "UTC") and out.to_list() == [datetime(2025, 1, 1, 17, tzinfo=UTC)]


@pytest.mark.parametrize(
    ("values", "mark"),
    [(["1.234,56", "-0,5", None], ","), (["1,234.56", "0.5"], "."), (["12", "7"], "."), (["0,00"], ",")],
)
def test_decimal_mark_detected_per_file(values: list[str | None], mark: str) -> None:
    assert detect_decimal(pl.Series(values, dtype=pl.String), column="Umsatz", name="f") == mark


def test_decimal_mark_ambiguous_asks() -> None:
    with pytest.raises(IngestError, match=r"'1\.234' can mean 1234 or a decimal\. Choose decimal=','"):
        detect_decimal(pl.Series(["1.234", "5.678"]), column="Umsatz", name="f")


def test_decimal_mark_mixed_is_rejected() -> None:
    with pytest.raises(IngestError, match="mixes decimal commas and decimal points"):
        detect_decimal(pl.Series(["1.234,56", "1,234.56"]), column="Umsatz", name="f")


def test_number_expr_converts_german_and_english_notation() -> None:
    df = pl.DataFrame({"v": ["1.234,56", "-0,5", "€ 3,10", None, "abc"]})
    assert_series_equal(df.select(number_expr("v", pl.String(), ","))["v"],
                        pl.Series("v", [1234.56, -0.5, 3.1, None, None]))
    df = pl.DataFrame({"v": ["1,234.56", "$7"]})
    assert df.select(number_expr("v", pl.String(), "."))["v"].to_list() == [1234.56, 7.0]


def test_text_expr_strips_controls_and_missing_tokens_but_keeps_ga4_values() -> None:
    df = pl.DataFrame({"v": [" a\x00b ", "null", "undefined", "", "(not set)", "(direct)", "x\ty"]})
    assert df.select(text_expr("v", pl.String()))["v"].to_list() == [
        "ab", None, None, None, "(not set)", "(direct)", "x\ty"]


def test_has_control_chars_ignores_tab_and_newlines() -> None:
    assert (has_control_chars(b"a\tb\r\n"), has_control_chars(b"a\x1fb")) == (False, True)
