"""Attribution: conversion paths and the models that credit channels with conversions and value.

Rule-based models (``heuristics``), the exact Markov removal effect (``markov``), Shapley values (``shapley``),
one entry point ``attribute`` (``models``), a bootstrap over journeys (``intervals``), a side-by-side view
(``compare``), and what it refuses or flags (``checks``, ``flags``).
"""

from __future__ import annotations

from analysis.attribution.compare import (
    DEFAULT_MODELS,
    ModelComparison,
    compare_models,
    outrank_matrix,
    wide_table,
)
from analysis.attribution.counterfactual import counterfactual_shapley
from analysis.attribution.flags import FLAG_LABELS, credit_flags, flag_summary
from analysis.attribution.intervals import (
    BootstrapKeywords,
    BootstrapOptions,
    IntervalKeywords,
    IntervalOptions,
    attribution_intervals,
    bootstrap_draws,
)
from analysis.attribution.markov import removal_effects, select_order
from analysis.attribution.models import (
    DEFINITIONS,
    LABELS,
    NO_TOUCH,
    SUMMING_MODELS,
    ModelKeywords,
    ModelOptions,
    attribute,
)
from analysis.attribution.paths import PathKeywords, PathOptions, aggregate_paths, conversion_paths, journey_paths
from analysis.attribution.segments import SegmentAttribution, attribute_by_segment, person_segments
from analysis.attribution.shapley import shapley_values
from analysis.conversions import likely_conversion_events, require_conversions
from analysis.vocabulary import MODELS, TOUCHES, Model, Touch

__all__ = [
    "DEFAULT_MODELS",
    "DEFINITIONS",
    "FLAG_LABELS",
    "LABELS",
    "MODELS",
    "NO_TOUCH",
    "SUMMING_MODELS",
    "TOUCHES",
    "BootstrapKeywords",
    "BootstrapOptions",
    "IntervalKeywords",
    "IntervalOptions",
    "Model",
    "ModelComparison",
    "ModelKeywords",
    "ModelOptions",
    "PathKeywords",
    "PathOptions",
    "SegmentAttribution",
    "Touch",
    "aggregate_paths",
    "attribute",
    "attribute_by_segment",
    "attribution_intervals",
    "bootstrap_draws",
    "compare_models",
    "conversion_paths",
    "counterfactual_shapley",
    "credit_flags",
    "flag_summary",
    "journey_paths",
    "likely_conversion_events",
    "outrank_matrix",
    "person_segments",
    "removal_effects",
    "require_conversions",
    "select_order",
    "shapley_values",
    "wide_table",
]
