"""Path tables as flat numpy arrays: channel vocabulary, one int code per touch, per-row counts.

A converting row with an empty path holds conversions without a touch (offline orders of people with no visit in
the lookback, see :func:`analysis.attribution.journey_paths`): its conversions and value move to ``untouched`` and
``untouched_value``, so every model sees that row as empty and no channel is credited with them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from analysis.errors import AnalysisError, NoConversionsError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

REQUIRED = ("path", "conversions", "nulls", "value")


@dataclass(frozen=True)
class Encoded:
    """A path table flattened: ``ids[offsets[i]:offsets[i+1]]`` are row i's touches as channel indices."""

    channels: list[str]
    ids: IntArray
    row: IntArray
    pos: IntArray
    length: IntArray
    conversions: FloatArray
    nulls: FloatArray
    value: FloatArray
    days: FloatArray | None
    untouched: FloatArray  # per row, conversions with no touch (rows with an empty path)
    untouched_value: FloatArray

    @property
    def n_rows(self) -> int:
        return int(self.conversions.shape[0])

    @property
    def total_conversions(self) -> float:
        """All conversions, with a touch or not."""
        return float(self.conversions.sum() + self.untouched.sum())

    @property
    def n_channels(self) -> int:
        return len(self.channels)


def encode(paths: pl.DataFrame) -> Encoded:
    """Flatten a path table (see ``conversion_paths``) into arrays; channels are sorted by name."""
    missing = [c for c in REQUIRED if c not in paths.columns]
    if missing:
        raise AnalysisError(
            f"paths lack the column(s) {', '.join(missing)}; expected {', '.join(REQUIRED)} "
            "(build them with conversion_paths())"
        )
    if paths.schema["path"] != pl.List(pl.String):
        raise AnalysisError(f"column 'path' has type {paths.schema['path']}, expected List(String)")
    conversions = paths["conversions"].fill_null(0).cast(pl.Float64).to_numpy()
    nulls = paths["nulls"].fill_null(0).cast(pl.Float64).to_numpy()
    if (conversions < 0).any() or (nulls < 0).any():
        raise AnalysisError("conversions and nulls must be non-negative counts")
    length = paths["path"].list.len().fill_null(0).cast(pl.Int64).to_numpy()
    value = paths["value"].fill_null(0.0).cast(pl.Float64).to_numpy()
    empty = length == 0
    untouched, untouched_value = np.where(empty, conversions, 0.0), np.where(empty, value, 0.0)
    conversions, value = np.where(empty, 0.0, conversions), np.where(empty, 0.0, value)
    flat = paths["path"].explode().drop_nulls() if paths.height else pl.Series([], dtype=pl.String)
    if flat.len() != int(length.sum()):
        raise AnalysisError("paths contain null channel names; fill them (e.g. with '(none)') first")
    channels = sorted(flat.unique().to_list())
    lookup = pl.DataFrame(
        {"c": channels, "i": np.arange(len(channels), dtype=np.int64)}, schema={"c": pl.String, "i": pl.Int64}
    )
    ids = pl.DataFrame({"c": flat}).join(lookup, on="c", how="left", maintain_order="left")["i"].to_numpy()
    row = np.repeat(np.arange(paths.height, dtype=np.int64), length)
    starts = np.cumsum(length) - length
    pos = np.arange(ids.shape[0], dtype=np.int64) - starts[row]
    days: FloatArray | None = None
    if "days_before_end" in paths.columns:
        d = paths["days_before_end"].explode().cast(pl.Float64)
        if d.len() == ids.shape[0]:
            days = d.fill_null(0.0).to_numpy()
    return Encoded(
        channels=channels,
        ids=ids.astype(np.int64),
        row=row,
        pos=pos,
        length=length,
        conversions=conversions,
        nulls=nulls,
        value=value,
        days=days,
        untouched=untouched,
        untouched_value=untouched_value,
    )


def require_path_conversions(enc: Encoded) -> None:
    """Raise NoConversionsError when the path table holds no conversion: every credit would be a silent zero."""
    if not enc.conversions.sum() > 0 and enc.untouched.sum() > 0:
        raise NoConversionsError(
            f"none of the {int(enc.untouched.sum()):,} conversions has a touch (a visit) in the lookback: offline "
            "orders of people without a visit before; no channel can be credited. Widen the lookback or add the "
            "web events of these people")
    if not enc.conversions.sum() > 0:
        journeys = int(enc.nulls.sum())
        raise NoConversionsError(
            f"the path table has no conversions ({journeys:,} non-converting journeys over {enc.n_rows:,} paths): "
            "nothing to attribute; check the conversion events, the date range and the lookback")
