"""Drop repeated events: same source event id when one is mapped, else identical rows; count them per file."""

from __future__ import annotations

import numpy as np
import polars as pl

from analysis.ingest._canonical import REPAIR
from analysis.ingest._csvread import LINE
from analysis.ingest._mapping import EVENT_ID
from analysis.ingest._report import EXAMPLES_PER_REASON, REJECT_REASONS, Example, FileReport

FILE = "__jl_file"


def dedupe(events: pl.DataFrame, reports: list[FileReport]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Drop repeated events: same source event id when mapped, else identical rows; count per file."""
    id_cols = {r.mapping.get(EVENT_ID) for r in reports} - {None}
    id_col = next((c for c in id_cols if c in events.columns), None) if len(id_cols) == 1 else None
    data_cols = [c for c in events.columns if c not in (FILE, LINE, REPAIR)]
    if id_col is None:
        mask = exact_duplicates(events, data_cols)
    else:
        # rows with an id repeat if the id does; rows without one only if the whole row does
        has_id = events[id_col].is_not_null()
        mask = exact_duplicates(events, [id_col]) & has_id
        if not has_id.all():
            mask = mask | (exact_duplicates(events, data_cols) & ~has_id)
    if not mask.any():
        return events, pl.DataFrame()
    dropped = events.filter(mask)
    per_file = dropped[FILE].value_counts()
    for index, n in per_file.iter_rows():
        f = reports[index]
        f.rejected_by_reason["duplicate"] = int(n)
        f.rejected += int(n)
        first_rows = dropped.filter(pl.col(FILE) == index).head(EXAMPLES_PER_REASON)
        f.examples["duplicate"] = [
            Example(f.file, int(r[LINE]), id_col, None if id_col is None else r[id_col])
            for r in first_rows.iter_rows(named=True)
        ]
    # repaired rows that turn out to be duplicates leave the repaired count, others the kept count
    for index, f in enumerate(reports):
        gone = dropped.filter(pl.col(FILE) == index)
        fixed = int(gone[REPAIR].is_not_null().sum())
        f.repaired -= fixed
        f.kept -= gone.height - fixed
        for reason, n in gone[REPAIR].drop_nulls().value_counts().iter_rows() if fixed else ():
            left = f.repaired_by_reason.get(reason, 0) - int(n)
            if left:
                f.repaired_by_reason[reason] = left
            else:
                f.repaired_by_reason.pop(reason, None)
    rows = dropped.select(
        pl.col(FILE).replace_strict({i: r.file for i, r in enumerate(reports)}, return_dtype=pl.String)
        .alias("file"),
        pl.col(LINE).alias("line"), pl.lit(REJECT_REASONS["duplicate"]).alias("reason"),
    )
    return events.filter(~mask), rows


def exact_duplicates(frame: pl.DataFrame, cols: list[str]) -> pl.Series:
    """True for rows identical (over ``cols``) to an earlier row; hashing first keeps it fast."""
    if frame.height == 0:
        return pl.Series(dtype=pl.Boolean)
    hashed = frame.select(cols).hash_rows()
    out = pl.repeat(False, frame.height, dtype=pl.Boolean, eager=True)
    if not any_repeated(hashed):
        return out
    candidates = hashed.is_duplicated()
    sub = frame.filter(candidates).select(cols)
    exact = ~sub.select(pl.struct(pl.all()).is_first_distinct()).to_series()
    return out.scatter(candidates.arg_true(), exact)


def any_repeated(hashes: pl.Series) -> bool:
    """True if a value occurs twice (answered by a sort: most exports repeat nothing, and numpy's integer
    sort is ~8x faster than the hash table of ``is_duplicated``).

    Examples
    --------
    >>> any_repeated(pl.Series([3, 1, 2])), any_repeated(pl.Series([3, 1, 3]))
    (False, True)
    """
    keys = np.sort(hashes.to_numpy())
    return bool(np.any(keys[1:] == keys[:-1]))
