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
        "share_of_persona": "Published people at the step / the persona's people (step 0); a withheld step is "
                            "marked, the persona's line continues past it.",
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
        "model": "The attribution model, in plain words (definitions below).",
        "channel": "Marketing channel. Channels whose credit, in any model, comes from fewer than k people are "
                   "merged (in the paths, before the models run) into 'Other (n groups)'; their names are withheld.",
        "users": "Converting people behind the credit: whose first touch (first touch), last touch (last touch) or "
                 "any touch (the other models) was the channel. Always at least k.",
        "conversions": "Conversions credited to the channel by the model; a model's credits add up to all "
                       "conversions.",
        "conversions_low": "Lower end of the 90% bootstrap interval of the credited conversions (journeys "
                           "resampled 100 times).",
        "conversions_high": "Upper end of that 90% interval.",
        "value": "Revenue credited to the channel by the model.",
        "value_low": "Lower end of the 90% bootstrap interval of the credited revenue.",
        "value_high": "Upper end of that 90% interval.",
        "share": "The channel's credited conversions / all conversions.",
        "share_low": "Lower end of the 90% bootstrap interval of the share.",
        "share_high": "Upper end of that 90% interval.",
    },
    "privacy": {
        "min_group_size": "k: every published count, share, median or path describes at least k people or is "
                          "withheld; withheld cells are protected from recovery through totals (complementary "
                          "suppression).",
        "withheld": "A value not published because it describes fewer than k people, or would reveal one that does.",
        "audit": "Every withheld number was bounded by linear programming over everything published (totals, "
                 "model totals, funnel steps, people x per-person averages): each stays uncertain over at least k "
                 "possible counts of people, and money over at least +-50% of itself.",
    },
}


def definitions_for(tables: Mapping[str, pl.DataFrame], facts: Mapping[str, object]) -> dict[str, str]:
    """Flat ``"table.column" -> definition`` for the tables present, plus privacy terms and attribution models."""
    out = {f"{table}.{column}": text for table, terms in DEFINITIONS.items() if table in tables
           for column, text in terms.items()}
    out.update({f"privacy.{k}": v for k, v in DEFINITIONS["privacy"].items()})
    group_by = facts.get("group_by")
    if group_by and "personas" in tables:  # groups are the values of a people attribute, not behavioural personas
        out["personas.persona"] = (f"The people's {group_by} (a people attribute joined from a CRM or shop file); "
                                   "groups of fewer than k people are merged into 'Other'.")
    models = facts.get("model_definitions", {})
    if "attribution" in tables and isinstance(models, Mapping):
        out.update({f"model.{name}": str(text) for name, text in models.items()})
    return out
