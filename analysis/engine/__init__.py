"""Engines that run an analysis as a map over person partitions and a merge of partials.

:class:`Stage` is the contract (each analysis builds its own, next to its code: ``analysis.funnels.stage`` …);
:func:`run` runs one on ``engine="polars"`` (:mod:`~analysis.engine.embedded`: one machine, in memory or out of
core over Parquet) or ``"spark"`` (:mod:`~analysis.engine.spark`: the same maps inside PySpark's
``groupBy(...).applyInArrow``); :mod:`~analysis.engine.partition` splits events by person. This package imports no
analysis.
"""

from __future__ import annotations

from analysis.engine.embedded import Partitions, Progress, quiet, run_embedded, run_partitions, split
from analysis.engine.partition import (
    PERSON_PARTS,
    identity_routes,
    partition_by_user,
    person_parts,
    scan_events,
    write_partitions,
)
from analysis.engine.run import EngineOptions, Source, engine_options, run, run_two_pass
from analysis.engine.stage import Agg, Stage
from analysis.vocabulary import ENGINES, Engine

__all__ = [
    "ENGINES",
    "PERSON_PARTS",
    "Agg",
    "Engine",
    "EngineOptions",
    "Partitions",
    "Progress",
    "Source",
    "Stage",
    "engine_options",
    "identity_routes",
    "partition_by_user",
    "person_parts",
    "quiet",
    "run",
    "run_embedded",
    "run_partitions",
    "run_two_pass",
    "scan_events",
    "split",
    "write_partitions",
]
