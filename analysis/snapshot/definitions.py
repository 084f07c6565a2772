"""Plain-language definitions of every number a snapshot publishes; they travel inside the file."""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

DEFINITIONS: dict[str, dict[str, str]] = {
    "personas": {
        "persona": "Behavioural group from the persona model (or 'All users'); groups of fewer than k people are "
                   "merged into 'Other'.",
        "users": "People (after identity stitching) in the persona.",
        "share": "The persona's people / all people in the data.",
        "conversion_rate": "People with at least one conversion event / the persona's people; withheld when "
                           "converters or non-converters are fewer than k, rounded down to a multiple of k "
                           "converters when it would differ from the funnel's last step by fewer than k people.",
        "revenue_per_user": "Revenue of conversion events / the persona's people (withheld with few converters).",
        "median_sessions": "Median number of sessions per person.",
        "stability": "Mean Jaccard overlap of the persona with its best match in bootstrap re-fits (1 = always "
                     "found again); below the bar the persona is 'tentative'.",
        "typical_path": "The most common published path variant of the persona (see paths).",
        "typical_path_share": "People with the typical path / the persona's people.",
    },
    "funnel": {
        "step": "0 = everyone in the persona, then the funnel steps in order.",
        "users": "People reaching the step in order within the window from their step-1 event. Withheld when the "
                 "count, or its drop from the last published step, is below k.",
        "conversion_from_step_1": "Published people at the step / people at step 1.",
        "conversion_from_previous": "Published people at the step / people at the last published earlier step.",
        "median_hours_from_start": "Median hours from step 1 to the step among the people reaching it.",
    },
    "channels": {
        "first_channel": "Marketing channel of the person's first event (one per person, so rows add up to the "
                         "persona); channels with fewer than k people are merged into 'Other'.",
        "users": "People of the persona whose first event came through the channel.",
        "share": "People with that first channel / the persona's people.",
    },
    "paths": {
        "path": "Channels of the person's sessions in order, repeats collapsed, first four; variants with fewer "
                "than k people are merged into 'Other'.",
        "users": "People of the persona whose sessions followed the path.",
        "share": "People with the path / the persona's people.",
    },
    "attribution": {
        "users": "Converting people whose conversion path contains the channel; a channel with fewer than k is "
                 "withheld in every model (and one more, so the total does not give it away).",
        "conversions": "Conversions credited to the channel by the model.",
        "value": "Revenue credited to the channel by the model.",
        "share": "The channel's credited conversions / all conversions.",
    },
    "privacy": {
        "min_group_size": "k: every published count, share, median or path describes at least k people or is "
                          "withheld; withheld cells are protected from recovery through totals (complementary "
                          "suppression).",
        "withheld": "A value not published because it describes fewer than k people, or would reveal one that does.",
    },
}


def definitions_for(tables: Mapping[str, pl.DataFrame], facts: Mapping[str, object]) -> dict[str, str]:
    """Flat ``"table.column" -> definition`` for the tables present, plus privacy terms and attribution models."""
    out = {f"{table}.{column}": text for table, terms in DEFINITIONS.items() if table in tables
           for column, text in terms.items()}
    out.update({f"privacy.{k}": v for k, v in DEFINITIONS["privacy"].items()})
    models = facts.get("model_definitions", {})
    if "attribution" in tables and isinstance(models, Mapping):
        out.update({f"model.{name}": str(text) for name, text in models.items()})
    return out
