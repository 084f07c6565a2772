"""Shared checks of the ingest fuzz tests: the outcome of one load must be an IngestError or an exact load."""

from __future__ import annotations

import polars as pl
import pyarrow as pa

from analysis.errors import IngestError
from analysis.ingest import LoadResult, load_events

#: Causes the error boundary may wrap: reader errors. A Python error (KeyError, IndexError...) is a bug here.
READER_ERRORS: tuple[type[BaseException], ...] = (pl.exceptions.PolarsError, pl.exceptions.PanicException,
                                                  pa.lib.ArrowException)


def outcome(name: str, data: bytes, **options: object) -> LoadResult | IngestError:
    """Load ``data``; return the result or the IngestError. Any other exception fails the test by leaving."""
    try:
        return load_events((name, data), max_rejected_share=1.0, **options)  # type: ignore[arg-type]
    except IngestError as exc:
        cause = exc.__cause__
        if "could not be read: the reader stopped on it" in str(exc):
            assert isinstance(cause, READER_ERRORS), f"a bug, not a reader error: {cause!r}"
        return exc


def assert_accounted(result: LoadResult) -> None:
    """rows read = kept + repaired + rejected, per file and in total, and the events are the kept + repaired rows."""
    for f in result.report.files:
        assert f.rows_read == f.kept + f.repaired + f.rejected, f
        assert sum(f.rejected_by_reason.values()) == f.rejected, f
        assert sum(f.repaired_by_reason.values()) == f.repaired, f
    assert result.events.height == result.report.kept + result.report.repaired
