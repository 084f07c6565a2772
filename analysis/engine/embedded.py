"""The embedded engine: run stages over person partitions on one machine with Polars, one partition at a time.

In memory, a frame is split with :func:`partition_by_user`. Out of core, a Parquet source is first written as
hash partitions in one streaming pass (:func:`write_partitions`); then each partition is read alone, so peak
memory is one partition's events plus the partials, whatever the size of the source.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from analysis.engine.partition import ENGINE_COLUMNS, ROW, partition_by_user, person_parts, write_partitions
from analysis.engine.stage import Stage
from analysis.errors import AnalysisError

Progress = Callable[[str, int, int], None]


def quiet(stage: str, done: int, total: int) -> None:
    """Default progress callback: say nothing."""


@dataclass(frozen=True)
class Partitions:
    """A source split by person: frames in memory, or Parquet folders/files on disk read one at a time."""

    frames: Sequence[pl.DataFrame] | None = None
    paths: Sequence[Path] | None = None

    def __len__(self) -> int:
        return len(self.frames if self.frames is not None else self.paths or ())

    def __getitem__(self, i: int) -> pl.DataFrame:
        return self.read(i)

    def read(self, i: int, columns: Collection[str] | None = None) -> pl.DataFrame:
        """Partition ``i``; from disk only ``columns`` (and the engine's own) when given, every column otherwise."""
        if self.frames is not None:
            return self.frames[i]
        path = (self.paths or [])[i]
        files = sorted(path.glob("*.parquet")) if path.is_dir() else [path] if path.exists() else []
        if not files:
            return pl.DataFrame()
        wanted = None
        if columns is not None:
            wanted = [c for c in pl.read_parquet_schema(files[0]) if c in columns or c in ENGINE_COLUMNS]
        part = pl.read_parquet(files, columns=wanted)
        if ROW in part.columns:  # restore the input order, so ties in time keep it as in memory
            part = part.sort(ROW)
        return part.drop([c for c in ENGINE_COLUMNS if c in part.columns])

    def __iter__(self) -> Iterator[pl.DataFrame]:
        return (self[i] for i in range(len(self)))


@contextmanager
def split(
    source: pl.DataFrame | str | Path, *, partitions: int = 8, workdir: str | Path | None = None
) -> Iterator[Partitions]:
    """Split ``source`` by person: in memory for a frame, as Parquet partitions on disk for a file or folder.

    The on-disk partitions live in ``workdir`` (a temporary folder, removed afterwards, when None).

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> with split(generate_sample(50, seed=1).events, partitions=3) as parts:
    ...     len(parts)
    3
    """
    if isinstance(source, pl.DataFrame):
        yield Partitions(frames=partition_by_user(source, partitions))
        return
    ready = person_parts(source)
    if ready:  # prepared by prepare_to_parquet: already whole persons per part
        yield Partitions(paths=ready)
        return
    with tempfile.TemporaryDirectory(prefix="journeylens-", dir=workdir) as tmp:
        yield Partitions(paths=write_partitions(source, Path(tmp) / "raw", partitions=partitions))


def run_partitions(
    parts: Partitions,
    stages: Mapping[str, Stage],
    *,
    before: Stage | None = None,
    keep: str | Path | None = None,
    sinks: Mapping[str, str | Path] | None = None,
    progress: Progress = quiet,
) -> dict[str, pl.DataFrame]:
    """Run every stage's map on each partition (read once), then merge each stage's partials.

    ``before`` (a row-level stage, e.g. the prepare stage) transforms each partition first; ``keep`` writes that
    transformed partition to ``keep/part-<i>.parquet`` so a later pass can reuse it. A row-level stage named in
    ``sinks`` writes its partials to ``sinks[name]/part-<i>.parquet`` instead of returning them (its result is
    then an empty frame); use it for outputs larger than memory.
    """
    partials: dict[str, list[pl.DataFrame]] = {name: [] for name in stages}
    out_dirs = {name: Path(p) for name, p in (sinks or {}).items()}
    for d in [*out_dirs.values(), *([Path(keep)] if keep is not None else [])]:
        d.mkdir(parents=True, exist_ok=True)
    seen = pl.Schema()
    # stages over prepared parts that name their inputs: read only those columns from disk
    named = before is None and keep is None and all(st.columns is not None for st in stages.values())
    columns = {c for st in stages.values() for c in st.columns or ()} if named else None
    for i in range(len(parts)):
        raw = parts.read(i, columns)
        progress("partitions", i, len(parts))
        if raw.height == 0:
            continue
        part = before.map(raw) if before is not None else raw
        seen = part.schema
        if keep is not None:
            part.write_parquet(Path(keep) / f"part-{i:05d}.parquet")
        for name, stage in stages.items():
            result = stage.map(part)
            if name in out_dirs:
                result.write_parquet(out_dirs[name] / f"part-{i:05d}.parquet")
            else:
                partials[name].append(result)
            progress(name, i + 1, len(parts))
    progress("partitions", len(parts), len(parts))
    return {name: stage.merge(partials[name]) if partials[name] else _empty(stage, seen)
            for name, stage in stages.items()}


def _empty(stage: Stage, columns: pl.Schema) -> pl.DataFrame:
    """An empty result with the stage's columns (no columns when even the input's are unknown)."""
    try:
        return pl.DataFrame(schema=stage.schema(columns))
    except AnalysisError:
        return pl.DataFrame()


def run_embedded(
    source: pl.DataFrame | str | Path,
    stages: Mapping[str, Stage],
    *,
    partitions: int = 8,
    before: Stage | None = None,
    workdir: str | Path | None = None,
    progress: Progress = quiet,
) -> dict[str, pl.DataFrame]:
    """Split ``source`` by person and run ``stages`` over the partitions (see :func:`run_partitions`).

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> rows = Stage("rows", lambda part: part.select(n=pl.len()), lambda _: pl.Schema({"n": pl.UInt32()}),
    ...              keys=(), aggs={"n": "sum"})
    >>> run_embedded(generate_sample(50, seed=1).events, {"rows": rows}, partitions=2)["rows"]["n"].item()
    974
    """
    with split(source, partitions=partitions, workdir=workdir) as parts:
        return run_partitions(parts, stages, before=before, progress=progress)
