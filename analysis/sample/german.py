"""The bundled German Excel CSV: other users of the same shop, saved the way German Excel writes a CSV."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from analysis import schema as s
from analysis.sample.events import SAMPLE_PATH, SAMPLE_SEED, generate_sample

GERMAN_EXPORT_PATH = SAMPLE_PATH.with_name("german_excel_export.csv")
GERMAN_EXPORT_USERS = 1_000


def write_german_export(path: str | Path = GERMAN_EXPORT_PATH) -> int:
    """Write the bundled German Excel CSV (1,000 other users of the same shop); return its rows."""
    events = generate_sample(GERMAN_EXPORT_USERS, seed=SAMPLE_SEED + 1).events
    Path(path).write_bytes(to_german_excel_csv(events))
    return events.height


#: German Excel column headers for :func:`to_german_excel_csv`.
GERMAN_HEADERS = {
    s.USER_ID: "Kundennummer", s.ANONYMOUS_ID: "Geräte-ID", s.TIMESTAMP: "Zeitstempel", s.EVENT: "Ereignis",
    s.SOURCE: "Quelle", s.MEDIUM: "Medium", s.CAMPAIGN: "Kampagne", s.REFERRER: "Verweis", s.CHANNEL: "Kanal",
    s.REVENUE: "Umsatz", "device": "Gerät", "country": "Land", "event_id": "Ereignis-ID",
}


def to_german_excel_csv(events: pl.DataFrame) -> bytes:
    """Write events the way German Excel saves a CSV: cp1252, ``sep=;`` line, CRLF, German headers,
    ``DD.MM.YYYY HH:MM:SS`` local times (Europe/Berlin), decimal comma and thousands dot.

    Examples
    --------
    >>> to_german_excel_csv(generate_sample(5, seed=1).events).splitlines()[1].decode("cp1252")[:40]
    'Kundennummer;Geräte-ID;Zeitstempel;Ereig'
    """
    amount = pl.col(s.REVENUE).round(2)
    euros = (amount.abs().floor().cast(pl.Int64).cast(pl.String).str.reverse()
             .str.replace_all(r"(\d{3})(\d)", "$1.$2").str.reverse())
    cents = ((amount.abs() * 100).round(0).cast(pl.Int64) % 100).cast(pl.String).str.zfill(2)
    sign = pl.when(amount < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    table = events.select([c for c in GERMAN_HEADERS if c in events.columns]).with_columns(
        pl.col(s.TIMESTAMP).dt.convert_time_zone("Europe/Berlin").dt.strftime("%d.%m.%Y %H:%M:%S"),
        pl.when(amount.is_null()).then(None).otherwise(pl.concat_str(sign, euros, pl.lit(","), cents))
        .alias(s.REVENUE),
    ).rename({c: h for c, h in GERMAN_HEADERS.items() if c in events.columns})
    text = table.write_csv(separator=";", line_terminator="\r\n")
    return ("sep=;\r\n" + text).encode("cp1252")
