"""Exception types of the analysis library: one per layer, messages that say what to fix."""

from __future__ import annotations


class AnalysisError(ValueError):
    """An analysis got input it cannot use; the message names the value and what would be valid."""


class IngestError(AnalysisError):
    """A file could not be read into canonical events; the message names file, row and column."""


class NoConversionsError(AnalysisError):
    """The chosen conversion events do not occur in the data; the message names the events found and suggestions."""


class EmptyResultError(AnalysisError):
    """An analysis would return nothing, or only zeros: the message says why and what to change instead."""
