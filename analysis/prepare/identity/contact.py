"""Normalising e-mail addresses and phone numbers before they are hashed, so that one person's spellings match."""

from __future__ import annotations

import polars as pl

_EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
_MIN_PHONE_DIGITS = 6


def normalise_email(values: pl.Expr) -> pl.Expr:
    """Lower-case, whitespace removed; null where the text is not an address (``x@y.z``).

    Examples
    --------
    >>> pl.select(normalise_email(pl.lit(pl.Series([" Anna.Muster@Example.DE ", "n/a"])))).to_series().to_list()
    ['anna.muster@example.de', None]
    """
    text = values.str.replace_all(r"\s+", "").str.to_lowercase()
    return pl.when(text.str.contains(_EMAIL)).then(text)


def normalise_phone(values: pl.Expr, *, country_code: str = "49") -> pl.Expr:
    """Digits in international form without ``+``: ``+49 171 …``, ``0049 171 …`` and ``0171 …`` all give ``49171…``.

    A national number (one leading ``0``) gets ``country_code``; fewer than 6 digits is no phone number (null).

    Examples
    --------
    >>> raw = pl.Series(["+49 (171) 123-4567", "0049 171 1234567", "0171/1234567", "0"])
    >>> pl.select(normalise_phone(pl.lit(raw))).to_series().to_list()
    ['491711234567', '491711234567', '491711234567', None]
    """
    digits = values.str.replace_all(r"[^\d+]", "")
    international = (
        pl.when(digits.str.starts_with("+")).then(digits.str.slice(1))
        .when(digits.str.starts_with("00")).then(digits.str.slice(2))
        .when(digits.str.starts_with("0")).then(pl.concat_str(pl.lit(country_code), digits.str.slice(1)))
        .otherwise(digits)
        .str.replace_all(r"\D", "")
    )
    return pl.when(international.str.len_chars() >= _MIN_PHONE_DIGITS).then(international)
