"""Engines that run every analysis as a map over person partitions and a merge of partials.

``embedded`` (Polars, one machine, in memory or out of core over Parquet) and ``spark`` (the same map functions
inside PySpark's ``groupBy(...).applyInArrow``). :mod:`analysis.engine.stages` holds the analyses written as
map and merge; :mod:`analysis.engine.partition` splits events by person.
"""

from __future__ import annotations

from analysis.engine.embedded import Partitions, run_embedded, run_partitions, split
from analysis.engine.partition import identity_routes, partition_by_user, scan_events, write_partitions
from analysis.engine.run import (
    partitioned_features,
    partitioned_funnel,
    partitioned_paths,
    prepare_events,
    prepare_to_parquet,
    run_stages,
)
from analysis.engine.stages import (
    Stage,
    after_prepare,
    feature_vocabulary,
    features_stage,
    funnel_stage,
    journeys_stage,
    paths_stage,
    prepare_stage,
    vocabulary_stage,
)
from analysis.vocabulary import ENGINES, Engine

__all__ = [
    "ENGINES",
    "Engine",
    "Partitions",
    "Stage",
    "after_prepare",
    "feature_vocabulary",
    "features_stage",
    "funnel_stage",
    "identity_routes",
    "journeys_stage",
    "partition_by_user",
    "partitioned_features",
    "partitioned_funnel",
    "partitioned_paths",
    "paths_stage",
    "prepare_events",
    "prepare_stage",
    "prepare_to_parquet",
    "run_embedded",
    "run_partitions",
    "run_stages",
    "scan_events",
    "split",
    "vocabulary_stage",
    "write_partitions",
]
