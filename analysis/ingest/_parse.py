"""Typed parsing of raw columns: ids, timestamps (whitelist, epoch units, time zones) and numbers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import polars as pl

from analysis.errors import IngestError
from analysis.ingest._examples import epoch_example, timestamp_examples

DateOrder = Literal["DMY", "MDY"]
Decimal = Literal[".", ","]
EpochUnit = Literal["s", "ms", "us", "ns"]

#: Strings that mean "no value" in an id column ((not set) and (direct) are real values and stay).
MISSING_TOKENS = ("", "null", "NULL", "Null", "undefined", "None", "none", "NaN", "nan", "N/A", "n/a")
#: C0 control characters except tab, newline and carriage return, plus DEL.
CONTROL_CHARS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_NOT_CONTROL = bytes([9, 10, 13, *range(32, 127), *range(128, 256)])
EXCEL_MANGLED = r"^-?\d+([.,]\d+)?[eE][+-]?\d+$"
#: A time whose seconds are 60 (a leap second): parsed as the first instant of the next minute.
LEAP_SECOND = r"(?:^|[T ])\d{1,2}:\d{2}:60(?:[.,]\d*)?(?:$|[^\d])"

#: Epoch magnitudes for dates between 2000 and 2100, per unit.
EPOCH_RANGES: dict[EpochUnit, tuple[float, float]] = {
    "s": (9.4e8, 4.11e9), "ms": (9.4e11, 4.11e12), "us": (9.4e14, 4.11e15), "ns": (9.4e17, 4.11e18),
}
EXCEL_EPOCH_US = -2_209_161_600_000_000  # 1899-12-30T00:00, day 0 of Excel's serial dates
_TO_US = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": 1}

AWARE_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%.f%#z", "%Y-%m-%dT%H:%M%#z",
                 "%Y-%m-%d %H:%M%#z")
NAIVE_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M",
                 "%Y-%m-%d", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%Y")
_SLASHED = ("{a}/{b}/%Y %H:%M:%S", "{a}/{b}/%Y %H:%M", "{a}/{b}/%Y")
_SAMPLE = 5000


@dataclass(frozen=True)
class TimestampPlan:
    """How one timestamp column is parsed: epoch unit, or the whitelisted formats found in it."""

    kind: Literal["epoch", "text", "datetime", "excel"]
    unit: EpochUnit | None = None
    aware: tuple[str, ...] = ()
    naive: tuple[str, ...] = ()
    description: str = ""
    #: values end in " UTC" (BigQuery's CSV export of TIMESTAMP columns): read as the offset +00:00
    utc_suffix: bool = False


def has_control_chars(data: bytes) -> bool:
    """True if raw UTF-8 text holds a control character (fast byte-level check before any regex).

    Examples
    --------
    >>> has_control_chars(b"a,b\\n1,x\\x00y\\n"), has_control_chars(b"a\\tb\\r\\n")
    (True, False)
    """
    return bool(data.translate(None, _NOT_CONTROL))


def spread_sample(values: pl.Series, n: int = _SAMPLE) -> pl.Series:
    """Up to ``n`` non-null values spread evenly over the column (not just its head)."""
    values = values.drop_nulls()
    if values.len() <= n:
        return values
    step = values.len() / n
    return values.gather([int(i * step) for i in range(n)])


def epoch_unit(values: pl.Series, *, column: str, name: str) -> EpochUnit:
    """Infer s/ms/us/ns from magnitude (2000–2100); raise if the column mixes units.

    Examples
    --------
    >>> epoch_unit(pl.Series([1_735_689_600_000_000]), column="t", name="f")
    'us'
    """
    num = values.cast(pl.Float64, strict=False).drop_nulls()  # negative epochs are before 1970: never in range
    found: dict[str, float] = {}
    for unit, (lo, hi) in EPOCH_RANGES.items():
        hits = num.filter((num >= lo) & (num < hi))
        if hits.len():
            found[unit] = float(hits[0])
    if not found:
        example = num[0] if num.len() else None
        hint = (" They look like Excel serial dates: map this column explicitly in Column mapping to read "
                "them as such, or export real dates.") if (
            example is not None and 20_000 <= example <= 80_000) else ""
        raise IngestError(f"{name}, column {column!r}: numbers such as {example!r} are not epoch "
                          f"timestamps between 2000 and 2100 (seconds, ms, µs or ns).{hint}")
    if len(found) > 1:
        listed = ", ".join(f"{v:.0f} ({u})" for u, v in found.items())
        raise IngestError(f"{name}, column {column!r} mixes epoch units: {listed}. Export one unit, "
                          "or split the file by unit.")
    chosen: EpochUnit = next(u for u in EPOCH_RANGES if u in found)
    return chosen


def plan_timestamp(values: pl.Series, *, column: str, name: str, date_order: DateOrder | None = None,
                   excel_serials: bool = False) -> TimestampPlan:
    """Decide how to parse a timestamp column from its values, asking when day/month is ambiguous.

    ``excel_serials=True`` (the user mapped this column explicitly) reads numbers between 20,000 and
    80,000 as Excel serial dates (days since 1899-12-30, local time) instead of rejecting them.

    Examples
    --------
    >>> plan_timestamp(pl.Series(["01.02.2025 10:00"]), column="t", name="f").naive
    ('%d.%m.%Y %H:%M',)
    """
    if isinstance(values.dtype, (pl.Time, pl.Duration)) or not (
            values.dtype.is_temporal() or values.dtype.is_numeric() or values.dtype == pl.String):
        what = {pl.Time: "times of day without a date", pl.Duration: "durations, not points in time"}.get(
            type(values.dtype), f"values of type {values.dtype}")
        raise IngestError(f"{name}, column {column!r} holds {what}; a timestamp needs a date and a time. Map a "
                          "column with dates and times (text, epoch numbers or a Parquet timestamp).")
    if values.dtype.is_temporal():
        return TimestampPlan(kind="datetime", description=f"{column}: stored as dates and times in the file")
    if _excel_serials(values.cast(pl.String) if values.dtype.is_numeric() else values):
        if excel_serials:
            return TimestampPlan(kind="excel", description=f"{column}: Excel serial days (mapped by you)")
        raise IngestError(f"{name}, column {column!r}: numbers such as {values.drop_nulls()[0]!r} look like Excel "
                          "serial dates: map this column explicitly in Column mapping to read them as such, or "
                          "export real dates.")
    if values.dtype.is_numeric():
        unit = epoch_unit(values, column=column, name=name)
        return TimestampPlan(kind="epoch", unit=unit, description=f"{column}: {epoch_example(unit)}")
    sample = spread_sample(values).str.strip_chars()  # trimming makes no nulls: same picks
    sample = sample.filter(~sample.is_in(MISSING_TOKENS))
    if sample.len() == 0:
        raise IngestError(f"{name}, column {column!r} is empty: no timestamps to read.")
    utc_suffix = bool(sample.str.ends_with(" UTC").any())
    if utc_suffix:
        sample = _utc_offset(sample)
    numeric = sample.str.contains(r"^-?\d+(\.\d+)?$")
    if numeric.all():
        unit = epoch_unit(sample, column=column, name=name)
        return TimestampPlan(kind="epoch", unit=unit, description=f"{column}: {epoch_example(unit)}")
    slashed = _slashed_formats(values, sample, column=column, name=name, date_order=date_order)
    aware = tuple(f for f in AWARE_FORMATS if _parses(sample, f))
    naive = tuple(f for f in (*NAIVE_FORMATS, *slashed) if _parses(sample, f))
    if not aware and not naive:
        raise IngestError(
            f"{name}, column {column!r}: {sample[0]!r} is not a supported timestamp. Supported: ISO 8601 "
            "(2025-03-01T14:00:00+01:00, 2025-03-01 14:00:00), DD.MM.YYYY HH:MM[:SS], DD/MM/YYYY or "
            "MM/DD/YYYY with date_order, epoch numbers. Map another column or fix the export."
        )
    shown = timestamp_examples((*aware, *naive)) + (" (a trailing ' UTC' is read as UTC)" if utc_suffix else "")
    return TimestampPlan(kind="text", aware=aware, naive=naive, description=f"{column}: {shown}",
                         utc_suffix=utc_suffix)


def _utc_offset(text: pl.Series) -> pl.Series:
    return text.str.replace(r" UTC$", "+00:00")


def _excel_serials(values: pl.Series) -> bool:
    sample = spread_sample(values).str.strip_chars()
    sample = sample.filter(~sample.is_in(MISSING_TOKENS))
    num = sample.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False)
    return bool(sample.len() and num.is_not_null().all() and num.is_between(20_000, 80_000).all())


def _parses(sample: pl.Series, fmt: str) -> bool:
    return bool(sample.str.to_datetime(fmt, strict=False, time_unit="us").is_not_null().any())


def _slashed_formats(values: pl.Series, sample: pl.Series, *, column: str, name: str,
                     date_order: DateOrder | None) -> tuple[str, ...]:
    if not sample.str.contains(r"^\d{1,2}/\d{1,2}/\d{4}").any():
        return ()
    parts = values.str.extract_groups(r"^\s*(\d{1,2})/(\d{1,2})/\d{4}").struct.unnest()
    first = parts[:, 0].cast(pl.Int32, strict=False).max()
    second = parts[:, 1].cast(pl.Int32, strict=False).max()
    if date_order is None:
        if first is not None and int(first) > 12 and not (second is not None and int(second) > 12):  # type: ignore[arg-type]
            date_order = "DMY"
        elif second is not None and int(second) > 12 and not (first is not None and int(first) > 12):  # type: ignore[arg-type]
            date_order = "MDY"
        elif first is not None and second is not None and int(first) > 12 and int(second) > 12:  # type: ignore[arg-type]
            raise IngestError(f"{name}, column {column!r} mixes DD/MM/YYYY and MM/DD/YYYY dates; "
                              "export one date format.")
        else:
            raise IngestError(
                f"{name}, column {column!r}: dates such as {sample[0]!r} can be day/month or month/day "
                "(every day is 12 or less). Choose with date_order='DMY' (31/12/2025) or 'MDY' (12/31/2025)."
            )
    a, b = ("%d", "%m") if date_order == "DMY" else ("%m", "%d")
    return tuple(f.format(a=a, b=b) for f in _SLASHED)


def localise(naive: pl.Expr, timezone: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Read naive datetimes in ``timezone``; return (UTC expr, DST-gap flag, DST-overlap flag).

    Times in a spring-forward gap move forward one hour; times in the autumn overlap take the earlier
    instant. Both are counted as repairs by the caller.
    """
    if timezone == "UTC":
        return naive.dt.replace_time_zone("UTC"), pl.lit(False), pl.lit(False)
    early = naive.dt.replace_time_zone(timezone, ambiguous="earliest", non_existent="null")
    late = naive.dt.replace_time_zone(timezone, ambiguous="latest", non_existent="null")
    gap = early.is_null() & naive.is_not_null()
    shifted = (naive + timedelta(hours=1)).dt.replace_time_zone(timezone, ambiguous="earliest",
                                                               non_existent="null")
    utc = pl.when(gap).then(shifted).otherwise(early).dt.convert_time_zone("UTC")
    return utc, gap, early.is_not_null() & (early != late)


def timestamp_expr(col: str, plan: TimestampPlan, dtype: pl.DataType, timezone: str,
                   *, strip: bool = True) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """Expression giving ``Datetime(us, UTC)`` for ``col`` plus DST gap and overlap flags.

    ``strip=False`` skips trimming when the column is known to have no surrounding blanks.
    """
    src = pl.col(col)
    if plan.kind == "datetime":
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            return (src.dt.convert_time_zone("UTC").dt.cast_time_unit("us"), pl.lit(False), pl.lit(False))
        if isinstance(dtype, pl.Date):
            src = src.cast(pl.Datetime("us"))
        return localise(src.cast(pl.Datetime("us")), timezone)
    if plan.kind == "excel":
        days = (src.cast(pl.Float64) if dtype.is_numeric()
                else src.str.strip_chars().str.replace(",", ".", literal=True).cast(pl.Float64, strict=False))
        micros = (days * 86_400_000_000).round(0).cast(pl.Int64) + EXCEL_EPOCH_US
        naive = pl.when(days.is_between(20_000, 80_000)).then(micros).cast(pl.Datetime("us"))
        return localise(naive, timezone)
    if plan.kind == "epoch":
        assert plan.unit is not None
        num = src if dtype.is_numeric() or not strip else src.str.strip_chars()
        as_int = num.cast(pl.Int64, strict=False)
        as_float = num.cast(pl.Float64, strict=False)
        lo, hi = EPOCH_RANGES[plan.unit]
        in_range = (as_float >= lo) & (as_float < hi)
        if plan.unit == "ns":
            micros = as_int // 1000
        else:
            micros = pl.coalesce(as_int * _TO_US[plan.unit], (as_float * _TO_US[plan.unit]).round(0)
                                 .cast(pl.Int64, strict=False))
        ts = pl.when(in_range).then(micros).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
        return ts, pl.lit(False), pl.lit(False)
    text = src.str.strip_chars() if strip else src
    if plan.utc_suffix:
        text = text.str.replace(r" UTC$", "+00:00")
    parts: list[pl.Expr] = [text.str.to_datetime(f, strict=False, time_unit="us").dt.convert_time_zone("UTC")
                            for f in plan.aware]
    gap: pl.Expr = pl.lit(False)
    overlap: pl.Expr = pl.lit(False)
    if plan.naive:
        naive = pl.coalesce([text.str.to_datetime(f, strict=False, time_unit="us") for f in plan.naive])
        if plan.aware:
            # a row that carries an offset is never localised
            naive = pl.when(pl.coalesce(parts).is_null()).then(naive)
        local, gap, overlap = localise(naive, timezone)
        parts.append(local)
    return pl.coalesce(parts), gap, overlap


def detect_decimal(values: pl.Series, *, column: str, name: str, decimal: Decimal | None = None) -> Decimal:
    """Find the decimal mark of a money column per file; ask when every value is like ``1.234``.

    Examples
    --------
    >>> detect_decimal(pl.Series(["1.234,56", "-0,5"]), column="Umsatz", name="f")
    ','
    """
    if decimal is not None or values.dtype.is_numeric():
        return decimal or "."
    s = values.str.strip_chars().str.replace_all(r"[€$£\s]", "").drop_nulls()
    comma = s.str.contains(r",\d{1,2}$|,\d{4,}$|\.\d{3},").any()
    dot = s.str.contains(r"\.\d{1,2}$|\.\d{4,}$|,\d{3}\.").any()
    if comma and dot:
        raise IngestError(f"{name}, column {column!r} mixes decimal commas and decimal points "
                          "(e.g. 1.234,56 and 1,234.56); export one number format.")
    if comma:
        return ","
    if dot or not s.str.contains(r"[.,]").any():
        return "."
    example = s.filter(s.str.contains(r"[.,]"))[0]
    raise IngestError(f"{name}, column {column!r}: {example!r} can mean {example.replace(',', '').replace('.', '')} "
                      f"or a decimal. Choose decimal=',' (German: 1.234,56) or decimal='.' (1,234.56).")


def number_expr(col: str, dtype: pl.DataType, decimal: Decimal) -> pl.Expr:
    """Expression casting a money column to Float64 (nulls where the text is not a number)."""
    if dtype.is_numeric():
        return pl.col(col).cast(pl.Float64)
    text = pl.col(col).str.strip_chars().str.replace_all(r"[€$£\s]", "")
    if decimal == ",":
        text = text.str.replace_all(".", "", literal=True).str.replace(",", ".", literal=True)
    else:
        text = text.str.replace_all(",", "", literal=True)
    return text.cast(pl.Float64, strict=False)


def text_expr(col: str, dtype: pl.DataType, *, missing: bool = True, controls: bool = True,
              strip: bool = True) -> pl.Expr:
    """Expression giving a clean String: trimmed, control characters removed, missing tokens to null.

    ``controls=False`` skips the control-character pass when the caller knows there are none;
    ``strip=False`` keeps surrounding blanks (extra columns are kept as exported).
    """
    out = pl.col(col) if dtype == pl.String else pl.col(col).cast(pl.String)
    if controls:
        out = out.str.replace_all(CONTROL_CHARS, "")
    if strip:
        out = out.str.strip_chars()
    if missing:
        out = pl.when(out.is_in(MISSING_TOKENS)).then(None).otherwise(out)
    elif strip or controls:
        out = pl.when(out == "").then(None).otherwise(out)
    return out.alias(col)
