"""Numbers as a marketer reads them: counts with thousands separators, percentages, money with its currency symbol,
durations such as "2 h 14 min", plain column names, and a dash where there is no value.

Each formatter is a Polars expression (a whole column at once, no loop over rows) with a scalar twin built on the
same expression, so a table cell, a metric, a chart label, the CLI and a snapshot all print a value the same way.
Values too large to print exactly (beyond about 10^15) and NaN or infinite ones come out as the ``missing`` text.

Examples
--------
>>> format_duration(8040), format_percent(0.2075), format_money(1222.8738, currency="EUR"), format_count(80454)
('2 h 14 min', '20.8%', '€1,222.87', '80,454')
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

#: What a cell shows when there is no value; the column's help says why.
MISSING = "–"
#: Symbols of common currencies; any other ISO code is printed before the amount ("SEK 12.00").
CURRENCY_SYMBOLS: dict[str, str] = {
    "EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹", "KRW": "₩", "BRL": "R$",
    "AUD": "A$", "CAD": "C$", "CHF": "CHF ", "PLN": "zł ", "TRY": "₺", "RUB": "₽", "ILS": "₪", "NZD": "NZ$",
}
_MINUS = "−"  # U+2212, the typographic minus
_MAX_SCALED = 10**15  # beyond this an Int64 of the scaled value stops being exact


def currency_symbol(currency: str | None) -> str:
    """The prefix printed before an amount: "€" for EUR, "SEK " for an unlisted code, "" for no currency.

    Examples
    --------
    >>> currency_symbol("eur"), currency_symbol("SEK"), currency_symbol(None)
    ('€', 'SEK ', '')
    """
    if not currency:
        return ""
    code = currency.strip().upper()
    return CURRENCY_SYMBOLS.get(code, f"{code} ")


def _grouped(whole: pl.Expr) -> pl.Expr:
    """Digits of a non-negative integer with a comma every three (reversed, so groups start at the units)."""
    return (whole.cast(pl.String).str.reverse().str.replace_all(r"(\d{3})", "${1},")
            .str.strip_chars_end(",").str.reverse())


def _finite(x: pl.Expr) -> pl.Expr:
    return x.cast(pl.Float64)


def _fixed(x: pl.Expr, decimals: int) -> tuple[pl.Expr, pl.Expr]:
    """(sign, digits) of ``x`` rounded to ``decimals`` places, digits grouped; null when not printable."""
    value = _finite(x)
    scale = 10**decimals
    scaled_float = (value.abs() * scale).round(0, mode="half_away_from_zero")
    scaled = pl.when(value.is_finite() & (scaled_float < _MAX_SCALED)).then(scaled_float).cast(pl.Int64)
    digits = _grouped(scaled // scale)
    if decimals:
        digits = pl.concat_str(digits, pl.lit("."), (scaled % scale).cast(pl.String).str.zfill(decimals))
    sign = pl.when((value < 0) & (scaled > 0)).then(pl.lit(_MINUS)).otherwise(pl.lit(""))
    return sign, digits


def count_text(x: pl.Expr, *, missing: str = MISSING) -> pl.Expr:
    """Whole numbers with thousands separators: 80454 -> "80,454" (fractions are rounded).

    Examples
    --------
    >>> pl.select(count_text(pl.Series([1234567, None, -5]))).to_series().to_list()
    ['1,234,567', '–', '−5']
    """
    sign, digits = _fixed(x, 0)
    return pl.concat_str(sign, digits).fill_null(missing)


def number_text(x: pl.Expr, *, decimals: int = 2, missing: str = MISSING) -> pl.Expr:
    """Numbers with a fixed number of decimals and thousands separators: 1222.8738 -> "1,222.87".

    Examples
    --------
    >>> pl.select(number_text(pl.Series([1222.8738, 0.5]), decimals=1)).to_series().to_list()
    ['1,222.9', '0.5']
    """
    sign, digits = _fixed(x, decimals)
    return pl.concat_str(sign, digits).fill_null(missing)


def percent_text(x: pl.Expr, *, decimals: int = 1, missing: str = MISSING) -> pl.Expr:
    """Shares (0..1) as percentages: 0.2075 -> "20.8%".

    Examples
    --------
    >>> pl.select(percent_text(pl.Series([0.2075, 1.0, None]))).to_series().to_list()
    ['20.8%', '100.0%', '–']
    """
    sign, digits = _fixed(_finite(x) * 100, decimals)
    return pl.concat_str(sign, digits, pl.lit("%")).fill_null(missing)


def money_text(x: pl.Expr, *, currency: str | None, decimals: int = 2, missing: str = MISSING) -> pl.Expr:
    """Amounts with the currency symbol and thousands separators: 1222.8738 EUR -> "€1,222.87".

    Without a currency the amount is printed alone ("1,222.87"); say the currency in the column's help then.

    Examples
    --------
    >>> pl.select(money_text(pl.Series([1222.8738, -0.5]), currency="GBP")).to_series().to_list()
    ['£1,222.87', '−£0.50']
    """
    sign, digits = _fixed(x, decimals)
    return pl.concat_str(sign, pl.lit(currency_symbol(currency)), digits).fill_null(missing)


def duration_text(seconds: pl.Expr, *, missing: str = MISSING) -> pl.Expr:
    """Seconds as the two largest units: "45 s", "14 min 5 s", "2 h 14 min", "3 d 4 h" (under 1 s: "< 1 s").

    Each value is rounded to its smaller unit, so 3,599.6 s reads "1 h" and 86,399 s reads "1 d".

    Examples
    --------
    >>> pl.select(duration_text(pl.Series([0.4, 45.0, 845.0, 8040.0, 273600.0, None]))).to_series().to_list()
    ['< 1 s', '45 s', '14 min 5 s', '2 h 14 min', '3 d 4 h', '–']
    """
    value = _finite(seconds)
    ok = value.is_finite() & (value.abs() < 1e13)
    sec = value.abs()
    s_r = (sec + 0.5).floor().cast(pl.Int64, strict=False)
    m_r = (sec / 60 + 0.5).floor().cast(pl.Int64, strict=False)
    h_r = (sec / 3600 + 0.5).floor().cast(pl.Int64, strict=False)

    def pair(big: pl.Expr, big_unit: str, small: pl.Expr, small_unit: str) -> pl.Expr:
        head = pl.concat_str(_grouped(big), pl.lit(f" {big_unit}"))
        return pl.when(small == 0).then(head).otherwise(
            pl.concat_str(head, pl.lit(" "), small.cast(pl.String), pl.lit(f" {small_unit}")))

    text = (
        pl.when(sec == 0).then(pl.lit("0 s"))
        .when(sec < 0.5).then(pl.lit("< 1 s"))
        .when(s_r < 60).then(pl.concat_str(s_r.cast(pl.String), pl.lit(" s")))
        .when(s_r < 3600).then(pair(s_r // 60, "min", s_r % 60, "s"))
        .when(m_r < 1440).then(pair(m_r // 60, "h", m_r % 60, "min"))
        .otherwise(pair(h_r // 24, "d", h_r % 24, "h"))
    )
    sign = pl.when((value < 0) & (s_r > 0)).then(pl.lit(_MINUS)).otherwise(pl.lit(""))
    return pl.when(ok).then(pl.concat_str(sign, text)).fill_null(missing)


def plain_name(column: str) -> str:
    """A column name as a heading: "conversion_rate" -> "Conversion rate" (the first letter capitalised only).

    Examples
    --------
    >>> plain_name("rows_read"), plain_name("user_id"), plain_name("Umsatz")
    ('Rows read', 'User id', 'Umsatz')
    """
    words = column.replace("_", " ").replace(".", " ").strip()
    words = " ".join(words.split())
    return words[:1].upper() + words[1:] if words else column


def _scalar(expr: pl.Expr, value: float | int | None) -> str:
    return str(pl.select(expr.alias("v")).item()) if value is not None else MISSING


def _series(value: float | int | None) -> pl.Expr:
    return pl.lit(pl.Series("v", [value], dtype=pl.Float64))


def format_count(n: float | None) -> str:
    """One count with thousands separators (the scalar twin of :func:`count_text`).

    Examples
    --------
    >>> format_count(3799), format_count(None)
    ('3,799', '–')
    """
    return _scalar(count_text(_series(n)), n)


def format_number(x: float | None, *, decimals: int = 2) -> str:
    """One number with fixed decimals (the scalar twin of :func:`number_text`).

    Examples
    --------
    >>> format_number(2.456, decimals=1)
    '2.5'
    """
    return _scalar(number_text(_series(x), decimals=decimals), x)


def format_percent(x: float | None, *, decimals: int = 1) -> str:
    """One share as a percentage (the scalar twin of :func:`percent_text`).

    Examples
    --------
    >>> format_percent(0.19), format_percent(0.0004, decimals=2)
    ('19.0%', '0.04%')
    """
    return _scalar(percent_text(_series(x), decimals=decimals), x)


def format_money(x: float | None, *, currency: str | None, decimals: int = 2) -> str:
    """One amount with its currency symbol (the scalar twin of :func:`money_text`).

    Examples
    --------
    >>> format_money(41529, currency="USD")
    '$41,529.00'
    """
    return _scalar(money_text(_series(x), currency=currency, decimals=decimals), x)


def format_duration(seconds: float | timedelta | None) -> str:
    """One duration (seconds or a ``timedelta``) as "2 h 14 min" (the scalar twin of :func:`duration_text`).

    Examples
    --------
    >>> format_duration(timedelta(hours=2, minutes=14)), format_duration(59.7)
    ('2 h 14 min', '1 min')
    """
    value = seconds.total_seconds() if isinstance(seconds, timedelta) else seconds
    return _scalar(duration_text(_series(value)), value)


def detect_currency(events: pl.DataFrame) -> str | None:
    """The one currency a dataset's amounts are in, from a column named ``currency`` or ``currency_code`` (any
    prefix, e.g. ``event_params.currency``), read on the rows with revenue when there is a ``revenue`` column.
    ``None`` when there is no such column or it holds several codes (amounts are then printed without a symbol).

    Examples
    --------
    >>> ev = pl.DataFrame({"revenue": [None, 9.5], "event_params.currency": [None, "USD"]})
    >>> detect_currency(ev), detect_currency(ev.drop("event_params.currency"))
    ('USD', None)
    """
    columns = [c for c in events.columns
               if c.lower().rsplit(".", 1)[-1] in ("currency", "currency_code") and events.schema[c] == pl.String]
    if not columns:
        return None
    rows = events.filter(pl.col("revenue").is_not_null()) if "revenue" in events.columns else events
    codes = (rows.select(pl.concat_list([pl.col(c).str.strip_chars().str.to_uppercase() for c in columns])
                         .alias("c"))
             .explode("c").filter(pl.col("c").str.contains(r"^[A-Z]{3}$"))["c"].unique())
    return str(codes[0]) if codes.len() == 1 else None


def error_sentence(error: Exception) -> str:
    """An error's message as a sentence to show: first letter capitalised, one full stop at the end.

    Examples
    --------
    >>> error_sentence(ValueError("nobody dropped after step 1"))
    'Nobody dropped after step 1.'
    """
    text = str(error).strip()
    return f"{text[:1].upper()}{text[1:]}" + ("" if text.endswith((".", "!", "?")) else ".")
