"""Per-file row accounting: which rows were kept, repaired or rejected, why, and the first examples."""

from __future__ import annotations

import polars as pl

from analysis import schema
from analysis.ingest._canonical import REASON, REPAIR, Typed
from analysis.ingest._csvread import LINE
from analysis.ingest._jsonread import TEXT
from analysis.ingest._report import EXAMPLES_PER_REASON, REJECT_REASONS, REPAIR_REASONS, Example, FileReport


def account(report: FileReport, raw: pl.DataFrame, typed: Typed,
            ragged: pl.DataFrame) -> tuple[FileReport, pl.DataFrame, pl.DataFrame]:
    """Fill ``report``'s counts and examples; return it, the loaded rows and the rejected rows (raw text)."""
    frame = typed.frame
    reason = frame[REASON]
    bad = reason.is_not_null()
    report.rows_read = raw.height + ragged.height
    counts = reason.drop_nulls().value_counts()
    report.rejected_by_reason = dict(zip(counts[REASON].to_list(), counts["count"].to_list(), strict=True))
    if ragged.height:
        # rows the reader could not split: wrong field count (CSV) or not a JSON object (JSON lines)
        code = "bad_json" if TEXT in ragged.columns else "ragged"
        # a vendor reader states the field count it expects (its raw frame also holds derived columns)
        expected = int(ragged["expected"][0]) if "expected" in ragged.columns else raw.width - 1
        report.rejected_by_reason = {code: ragged.height, **report.rejected_by_reason}
        report.examples[code] = [
            Example(report.file, line, None, str(n) if code == "bad_json" else f"{n} fields, expected {expected}")
            for line, n in ragged.select(LINE, TEXT if code == "bad_json" else "fields")
            .head(EXAMPLES_PER_REASON).iter_rows()
        ]
    good = frame.filter(~bad) if report.rows_read - ragged.height and bad.any() else frame
    fixes = good[REPAIR].drop_nulls().value_counts()
    report.repaired_by_reason = dict(zip(fixes[REPAIR].to_list(), fixes["count"].to_list(), strict=True))
    report.repaired = int(good[REPAIR].is_not_null().sum())
    report.rejected = sum(report.rejected_by_reason.values())
    report.kept = good.height - report.repaired
    rej_raw = (raw.filter(bad) if bad.any() else raw.clear()).with_columns(reason.filter(bad).alias(REASON))
    for code in REJECT_REASONS:
        rows = rej_raw.filter(pl.col(REASON) == code).head(EXAMPLES_PER_REASON)
        if rows.height:
            report.examples[code] = [example(report.file, r, typed.reason_columns.get(code), code)
                                     for r in rows.iter_rows(named=True)]
    repaired_raw = raw.filter(~bad).with_columns(good[REPAIR].alias(REPAIR)) if report.repaired else raw.clear()
    for code in REPAIR_REASONS if report.repaired else ():
        rows = repaired_raw.filter(pl.col(REPAIR) == code).head(EXAMPLES_PER_REASON)
        if rows.height:
            col = report.mapping[schema.TIMESTAMP] if code.startswith("dst") else None
            report.examples[code] = [example(report.file, r, col, code) for r in rows.iter_rows(named=True)]
    width = int(ragged["expected"][0]) if "expected" in ragged.columns and ragged.height else raw.width - 1
    rejected = rejected_rows(report.file, rej_raw, ragged, width)
    return report, good.drop(REASON), rejected


def example(file: str, row: dict[str, object], column: str | None, code: str) -> Example:
    """One example of ``code`` from a raw row; finds the offending column when the reason names none."""
    if column is None:
        # the reason names no single column: show the first cell that explains it
        for col, value in row.items():
            if col in (LINE, REASON, REPAIR):
                continue
            if code == "too_long" and isinstance(value, list) and len(str(value)) > 4096:
                column = col
                break
            if not isinstance(value, str):
                continue
            if code == "control_chars" and any(ord(ch) < 32 and ch not in "\t\n\r" for ch in value):
                column = col
                break
            if code == "too_long" and len(value.encode()) > 4096:
                column = col
                break
    value = row.get(column) if column else None
    shown = None if value is None else str(value)
    if shown is not None and len(shown) > 200:
        shown = shown[:200] + f"… ({len(shown):,} characters)"
    line = row.get(LINE)
    return Example(file=file, line=int(line) if isinstance(line, int) else None, column=column, value=shown)


def rejected_rows(file: str, rej_raw: pl.DataFrame, ragged: pl.DataFrame, width: int) -> pl.DataFrame:
    """Rejected rows for the downloadable CSV: file, line, reason, then the row's cells as text."""
    labels = pl.col(REASON).replace_strict(REJECT_REASONS, default=pl.col(REASON))
    flat = [c for c, t in rej_raw.schema.items() if not t.is_nested() and c not in (LINE, REASON)]
    typed = rej_raw.select(
        pl.lit(file).alias("file"), pl.col(LINE).alias("line"), labels.alias("reason"),
        *(pl.col(c).cast(pl.String) for c in flat),
    )
    if not ragged.height:
        return typed
    if TEXT in ragged.columns:
        rag = ragged.select(pl.lit(file).alias("file"), pl.col(LINE).alias("line"),
                            pl.lit(REJECT_REASONS["bad_json"]).alias("reason"), pl.col(TEXT).alias("detail"))
        return pl.concat([rag, typed], how="diagonal_relaxed").sort("line")
    rag = ragged.select(pl.lit(file).alias("file"), pl.col(LINE).alias("line"),
                        pl.lit(REJECT_REASONS["ragged"]).alias("reason"),
                        pl.format("{} fields, expected {}", pl.col("fields"), pl.lit(width)).alias("detail"))
    return pl.concat([rag, typed], how="diagonal_relaxed").sort("line")
