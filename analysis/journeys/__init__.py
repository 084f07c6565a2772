"""Journeys and path analysis: each person's events cut into journeys, then the paths through them.

:mod:`~analysis.journeys.cut` defines a journey (events up to and including a conversion, or to the data's end) and
which touches belong to it, for journeys and conversion paths alike; :mod:`~analysis.journeys.journey` describes
each journey; :mod:`~analysis.journeys.path_analysis` ranks the paths through journeys and counts step-to-step flows
(Sankey data); :mod:`~analysis.journeys.stage` is the journeys analysis as map and merge for the engines.
"""

from __future__ import annotations

from analysis.journeys.cut import journey_number, journey_starts, journey_touches
from analysis.journeys.journey import JOURNEY, journey_events, journeys
from analysis.journeys.path_analysis import (
    CONVERTED,
    ENDED,
    GAP,
    NOT_CONVERTED,
    OUTCOMES,
    path_variants,
    paths,
    step_matrix,
    transitions,
)

__all__ = [
    "CONVERTED",
    "ENDED",
    "GAP",
    "JOURNEY",
    "NOT_CONVERTED",
    "OUTCOMES",
    "journey_events",
    "journey_number",
    "journey_starts",
    "journey_touches",
    "journeys",
    "path_variants",
    "paths",
    "step_matrix",
    "transitions",
]
