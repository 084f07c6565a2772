"""Exception types of the analysis library: one per layer, messages that say what to fix."""

from __future__ import annotations


class AnalysisError(ValueError):
    """An analysis got input it cannot use; the message names the value and what would be valid."""


class IngestError(AnalysisError):
    """A file could not be read into canonical events; the message names file, row and column."""


class LimitError(IngestError):
    """A file passes a memory ceiling or size cap; ``limit`` names the :class:`~analysis.ingest.Limits` field."""

    def __init__(self, message: str, *, limit: str) -> None:
        super().__init__(message)
        self.limit = limit


class NoConversionsError(AnalysisError):
    """The chosen conversion events do not occur in the data; the message names the events found and suggestions."""


class EmptyResultError(AnalysisError):
    """An analysis would return nothing, or only zeros: the message says why and what to change instead."""


class MissingEventError(EmptyResultError):
    """A chosen event (a funnel step) does not occur in the data; the message names close matches and events found."""
