"""JourneyLens analysis library: every analysis and figure as a plain function over Polars frames (no Streamlit).

The public API below is the contract between the library, the pages, the CLI and the tests. Names are loaded on
first use, so ``import analysis`` stays cheap for scripts that need one function.

Examples
--------
>>> from analysis import funnel, prepare
>>> from analysis.sample import generate_sample
>>> events = prepare(generate_sample(300, seed=1).events)
>>> funnel(events, ["view_item", "purchase"])["entered"].to_list()
[300, 58]
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_PUBLIC: dict[str, str] = {
    # ingest
    "load_events": "analysis.ingest",
    "LoadResult": "analysis.ingest",
    "LoadReport": "analysis.ingest",
    "RejectedShareError": "analysis.ingest",
    "peek_columns": "analysis.ingest",
    "load_people": "analysis.ingest.people",
    # prepare: stitching, channels, sessions
    "prepare": "analysis.prepare",
    "stitch_identities": "analysis.prepare.identity",
    "stitch_stats": "analysis.prepare.identity",
    "identity_graph": "analysis.prepare.identity",
    "IdentityRules": "analysis.prepare.identity",
    "resolve_identities": "analysis.prepare.identity",
    "source_overlap": "analysis.prepare.identity",
    "assign_channels": "analysis.prepare.channels",
    "load_channel_rules": "analysis.prepare.channels",
    "unassigned_report": "analysis.prepare.channels",
    "sessionize": "analysis.prepare.sessions",
    # journeys and paths
    "journeys": "analysis.journeys",
    "paths": "analysis.paths",
    "path_variants": "analysis.paths",
    "transitions": "analysis.paths",
    "step_matrix": "analysis.paths",
    # funnels and drop-offs
    "funnel": "analysis.funnels",
    "funnel_spec": "analysis.funnels",
    "funnel_units": "analysis.funnels",
    "funnel_table": "analysis.funnels",
    "funnel_totals": "analysis.funnels",
    "funnel_trend": "analysis.funnels",
    "time_to_convert": "analysis.funnels",
    "Step": "analysis.funnels",
    "Exclusion": "analysis.funnels",
    "step_cohort": "analysis.dropoff",
    "dropoff_destinations": "analysis.dropoff",
    "dropoff_drivers": "analysis.dropoff",
    # attribution
    "conversion_paths": "analysis.attribution",
    "attribute": "analysis.attribution",
    "attribution_intervals": "analysis.attribution",
    "compare_models": "analysis.attribution",
    "removal_effects": "analysis.attribution",
    "shapley_values": "analysis.attribution",
    # personas
    "fit_personas": "analysis.personas",
    "Personas": "analysis.personas",
    "persona_column": "analysis.personas",
    "persona_channels": "analysis.personas",
    "persona_steps": "analysis.personas",
    "with_personas": "analysis.personas",
    # sharing and privacy
    "write_snapshot": "analysis.snapshot",
    "read_snapshot": "analysis.snapshot",
    "Snapshot": "analysis.snapshot",
    "detect_pii_columns": "analysis.privacy",
    "suppress_small_cells": "analysis.privacy",
    "pseudonymise": "analysis.privacy",
    "escape_text": "analysis.privacy",
    # errors and schema
    "AnalysisError": "analysis.errors",
    "IngestError": "analysis.errors",
    "validate_events": "analysis.schema",
    "CANONICAL_SCHEMA": "analysis.schema",
}

__all__ = [
    "CANONICAL_SCHEMA",
    "AnalysisError",
    "Exclusion",
    "IdentityRules",
    "IngestError",
    "LoadReport",
    "LoadResult",
    "Personas",
    "RejectedShareError",
    "Snapshot",
    "Step",
    "assign_channels",
    "attribute",
    "attribution_intervals",
    "compare_models",
    "conversion_paths",
    "detect_pii_columns",
    "dropoff_destinations",
    "dropoff_drivers",
    "escape_text",
    "fit_personas",
    "funnel",
    "funnel_spec",
    "funnel_table",
    "funnel_totals",
    "funnel_trend",
    "funnel_units",
    "identity_graph",
    "journeys",
    "load_channel_rules",
    "load_events",
    "load_people",
    "path_variants",
    "paths",
    "peek_columns",
    "persona_channels",
    "persona_column",
    "persona_steps",
    "prepare",
    "pseudonymise",
    "read_snapshot",
    "removal_effects",
    "resolve_identities",
    "sessionize",
    "shapley_values",
    "source_overlap",
    "step_cohort",
    "step_matrix",
    "stitch_identities",
    "stitch_stats",
    "suppress_small_cells",
    "time_to_convert",
    "transitions",
    "unassigned_report",
    "validate_events",
    "with_personas",
    "write_snapshot",
]

# Three submodules (prepare is a package) share their function's name. Loading them here binds the functions;
# otherwise the first `import analysis.prepare` anywhere would leave the package attribute pointing at the module.
# They need Polars only.
from analysis.journeys import journeys  # noqa: E402
from analysis.paths import paths  # noqa: E402
from analysis.prepare import prepare  # noqa: E402

if TYPE_CHECKING:
    from analysis.attribution import (
        attribute,
        attribution_intervals,
        compare_models,
        conversion_paths,
        removal_effects,
        shapley_values,
    )
    from analysis.dropoff import dropoff_destinations, dropoff_drivers, step_cohort
    from analysis.errors import AnalysisError, IngestError
    from analysis.funnels import (  # type: ignore[no-redef]
        Exclusion,
        Step,
        funnel,
        funnel_spec,
        funnel_table,
        funnel_totals,
        funnel_trend,
        funnel_units,
        time_to_convert,
    )
    from analysis.ingest import LoadReport, LoadResult, RejectedShareError, load_events, peek_columns
    from analysis.ingest.people import load_people
    from analysis.paths import path_variants, step_matrix, transitions
    from analysis.personas import (
        Personas,
        fit_personas,
        persona_channels,
        persona_column,
        persona_steps,
        with_personas,
    )
    from analysis.prepare.channels import assign_channels, load_channel_rules, unassigned_report
    from analysis.prepare.identity import (
        IdentityRules,
        identity_graph,
        resolve_identities,
        source_overlap,
        stitch_identities,
        stitch_stats,
    )
    from analysis.prepare.sessions import sessionize
    from analysis.privacy import detect_pii_columns, escape_text, pseudonymise, suppress_small_cells
    from analysis.schema import CANONICAL_SCHEMA, validate_events
    from analysis.snapshot import Snapshot, read_snapshot, write_snapshot


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use."""
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'analysis' has no attribute {name!r}; public names: {', '.join(__all__)}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
