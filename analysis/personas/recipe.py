"""Persona settings as recipe parameters and back, so the command line refits the personas a view used.

The names are the Personas page's recipe parameters (``persona_k``, ``k_max``, ``algorithm``, ``groups``,
``columns``, ``event_weighting``, ``reduction``, ``conversion_events``, ``stability_runs``) plus
``persona_names`` (``{persona id: name}``, edited names included), so a persona chosen by name on another page
means the same people on the command line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from analysis.errors import AnalysisError
from analysis.personas.model import Personas
from analysis.personas.tables import PERSONA

_DEFAULTS = Personas()


def persona_parameters(model: Personas) -> dict[str, Any]:
    """The JSON-ready recipe parameters that refit ``model`` (same data, same seed) with its current names.

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> from analysis.prepare import prepare
    >>> model = Personas(k=2, stability_runs=0).fit(prepare(generate_sample(300, seed=1).events))
    >>> params = persona_parameters(model)
    >>> params["persona_k"], sorted(params["persona_names"]) == ["0", "1"]
    (2, True)
    """
    return {
        "persona_k": model.k, "k_max": model.k_range[1], "algorithm": model.algorithm,
        "groups": list(model.groups), "columns": list(model.columns), "event_weighting": model.event_weighting,
        "reduction": model.reduction, "conversion_events": list(model.conversion_events),
        "stability_runs": model.stability_runs, "seed": model.seed,
        "min_share": model.min_share, "min_size": model.min_size,
        "persona_names": {str(pid): name for pid, name in model.names_.items()},
    }


def personas_from_parameters(params: Mapping[str, Any], *, seed: int = 0, stability: bool = True) -> Personas:
    """An unfitted :class:`Personas` configured from recipe parameters (unset ones keep the defaults).

    ``stability=False`` skips the bootstrap re-fits, which do not change who is in which persona.

    Examples
    --------
    >>> personas_from_parameters({"persona_k": 3, "algorithm": "gmm"}).get_params()["algorithm"]
    'gmm'
    """
    def pick(name: str, default: Any) -> Any:
        value = params.get(name)
        return default if value is None else value

    k = pick("persona_k", None)
    try:
        return Personas(
            None if k is None else int(k),
            k_range=(2, max(2, int(pick("k_max", _DEFAULTS.k_range[1])))),
            algorithm=str(pick("algorithm", _DEFAULTS.algorithm)),  # type: ignore[arg-type]
            groups=tuple(pick("groups", _DEFAULTS.groups)),
            columns=tuple(pick("columns", _DEFAULTS.columns)),
            event_weighting=str(pick("event_weighting", _DEFAULTS.event_weighting)),  # type: ignore[arg-type]
            reduction=str(pick("reduction", _DEFAULTS.reduction)),  # type: ignore[arg-type]
            conversion_events=tuple(pick("conversion_events", _DEFAULTS.conversion_events)),
            stability_runs=int(pick("stability_runs", _DEFAULTS.stability_runs)) if stability else 0,
            min_share=float(pick("min_share", _DEFAULTS.min_share)),
            min_size=int(pick("min_size", _DEFAULTS.min_size)),
            seed=int(pick("seed", seed)),
        )
    except (TypeError, ValueError) as exc:
        raise AnalysisError(f"persona settings {dict(params)} are not valid: {exc}") from exc


def apply_names(model: Personas, params: Mapping[str, Any]) -> Personas:
    """``model`` renamed with the recipe's ``persona_names`` (``{"0": "Loyal"}``); ids it lacks are skipped.

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> from analysis.prepare import prepare
    >>> model = Personas(k=2, stability_runs=0).fit(prepare(generate_sample(300, seed=1).events))
    >>> apply_names(model, {"persona_names": {"1": "Small", "7": "gone"}}).names_[1]
    'Small'
    """
    names = params.get("persona_names") or {}
    if not isinstance(names, Mapping):
        raise AnalysisError(f"persona_names must map persona ids to names, e.g. {{\"0\": \"Loyal\"}}; got {names!r}")
    try:
        renamed = {int(pid): str(name) for pid, name in names.items()}
    except ValueError as exc:
        raise AnalysisError(f"persona_names keys must be persona ids such as \"0\"; got {list(names)}") from exc
    known = {pid: name for pid, name in renamed.items() if pid in model.names_}
    return model.rename(known) if known else model


def keep_persona(events: pl.DataFrame, persona: str) -> pl.DataFrame:
    """The events of the people labelled ``persona``; an unknown name raises, listing the valid ones.

    Examples
    --------
    >>> ev = pl.DataFrame({"user_id": ["a", "b"], "persona": ["Big", "Small"]})
    >>> keep_persona(ev, "Small")["user_id"].to_list()
    ['b']
    """
    names = events[PERSONA].drop_nulls().unique().sort().to_list()
    if persona not in names:
        raise AnalysisError(f"persona {persona!r} is not among the refitted personas ({', '.join(names)}); the data "
                            "or the persona settings differ from the recipe's")
    return events.filter(pl.col(PERSONA) == persona)
