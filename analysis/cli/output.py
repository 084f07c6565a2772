"""Where a command's table goes: a file by suffix (.csv, .parquet, .json) or CSV on stdout, formula-safe."""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

import polars as pl

from analysis.export import protect_formulas
from analysis.vocabulary import check_choice

FORMATS = (".csv", ".parquet", ".json")


def _to_flat(frame: pl.DataFrame) -> pl.DataFrame:
    """Nested columns as text, for CSV."""
    out = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.List):
            out.append(col.list.eval(pl.element().cast(pl.String)).list.join(" > ").alias(name))
        elif isinstance(dtype, pl.Struct):
            out.append(col.struct.json_encode().alias(name))
        else:
            out.append(col)
    return frame.select(out)


def write_table(frame: pl.DataFrame, out: str | Path | None, *, stdout: TextIO) -> None:
    """Write ``frame`` to ``out`` by suffix (.csv, .parquet, .json), or as CSV to ``stdout`` when None.

    Examples
    --------
    >>> import io
    >>> buffer = io.StringIO()
    >>> write_table(pl.DataFrame({"path": [["Email", "Direct"]], "n": [1]}), None, stdout=buffer)
    >>> buffer.getvalue()
    'path,n\\nEmail > Direct,1\\n'
    """
    if out is None:
        stdout.write(protect_formulas(_to_flat(frame)).write_csv())
        return
    path = Path(out)
    check_choice("--out suffix", path.suffix, FORMATS)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        frame.write_parquet(path)
    elif path.suffix == ".json":
        frame.write_json(path)
    else:
        protect_formulas(_to_flat(frame)).write_csv(path)
