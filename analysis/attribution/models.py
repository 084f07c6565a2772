"""``attribute``: one entry point for every model, returning credit per channel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Self, TypedDict, Unpack

import numpy as np
import polars as pl
import scipy.sparse as sp

from analysis.attribution import heuristics as h
from analysis.attribution._encode import Encoded, FloatArray, encode, require_path_conversions
from analysis.attribution.counterfactual import build_counterfactual
from analysis.attribution.markov import build_chain
from analysis.attribution.shapley import build_game
from analysis.vocabulary import HALF_LIFE, MODELS, Model, check_choice

#: Models whose credits sum to the total conversions and value (all but participation).
#: The row of an attribution result that holds the conversions without a touch: credited to no channel.
NO_TOUCH = "(no touch)"
SUMMING_MODELS: tuple[Model, ...] = tuple(m for m in MODELS if m != "participation")

LABELS: dict[Model, str] = {
    "first_touch": "First touch",
    "last_touch": "Last touch",
    "last_non_direct": "Last non-direct",
    "linear": "Linear",
    "position_based": "Position based (U)",
    "j_shaped": "J-shaped",
    "inverse_j": "Inverse J",
    "time_decay": "Time decay",
    "participation": "Participation",
    "markov": "Markov",
    "shapley": "Shapley (DP6)",
    "shapley_counterfactual": "Shapley, never negative",
}

DEFINITIONS: dict[Model, str] = {
    "first_touch": "All credit to the first touch of the path.",
    "last_touch": "All credit to the last touch before the conversion.",
    "last_non_direct": "All credit to the last touch that is not Direct (Direct only when the whole path is).",
    "linear": "Equal credit to every touch.",
    "position_based": "U-shaped: 40% first, 40% last, 20% split over the middle (two touches: 50/50).",
    "j_shaped": "20% first, 60% last, 20% split over the middle (two touches: 25/75).",
    "inverse_j": "60% first, 20% last, 20% split over the middle (two touches: 75/25).",
    "time_decay": f"Weight 2^(-t/half-life) by time t before the conversion (half-life {HALF_LIFE.days} days), "
    "normalised.",
    "participation": "1 to every distinct channel of a converting path; totals exceed the conversions.",
    "markov": "Removal effect in the absorbing Markov chain of paths (exact), normalised to the conversions; "
    "value by the same chain weighted with the value of conversions from each state.",
    "shapley": "Shapley value of each channel in the game 'conversion rate of the journeys with exactly this "
    "channel set' (DP6 Marketing-Attribution-Models; exact up to 15). A channel can get negative credit when "
    "journeys with it convert less often than journeys without it.",
    "shapley_counterfactual": "Shapley value of each channel in the game 'chance to convert in the Markov chain of "
    "journeys if only these channels existed' (after Singal et al., Management Science 2022). Adding a channel "
    "never lowers that chance, so no credit is negative.",
}


class ModelKeywords(TypedDict, total=False):
    """The fields of :class:`ModelOptions` as keywords of :func:`attribute` (and of the bootstrap and comparison)."""

    order: int
    weights: tuple[float, float, float] | None
    half_life: timedelta
    direct: str
    ordered: bool
    max_channels: int | None
    exact_limit: int
    n_permutations: int
    seed: int


@dataclass(frozen=True, kw_only=True)
class ModelOptions:
    """How the models credit channels: the one place for these options and their defaults.

    ``order``: the Markov chain's order (1-4; ``shapley_counterfactual`` always uses the first-order chain).
    ``weights``: position_based's first/middle/last shares (None: 40/20/40). ``half_life``: time_decay's.
    ``direct``: the channel last_non_direct skips. ``ordered``, ``max_channels``, ``exact_limit``: Shapley's
    coalitions (in order of first touch; cut to the last ``max_channels``; solved exactly up to ``exact_limit``
    channels; ``shapley_counterfactual`` keeps its own limit of 12). ``n_permutations`` and ``seed``: the sampled
    Shapley values of both Shapley models (``seed`` also seeds the bootstrap).

    Examples
    --------
    >>> ModelOptions.of({"order": 2}).order
    2
    """

    order: int = 1
    weights: tuple[float, float, float] | None = None
    half_life: timedelta = HALF_LIFE
    direct: str = "Direct"
    ordered: bool = False
    max_channels: int | None = None
    exact_limit: int = 15
    n_permutations: int = 2000
    seed: int = 0

    @classmethod
    def of(cls, keywords: ModelKeywords) -> Self:
        """The options given as keywords, the defaults for the rest."""
        return cls(**keywords)


Evaluator = Callable[[FloatArray, FloatArray, FloatArray], tuple[FloatArray, FloatArray]]


def _heuristic_matrix(enc: Encoded, model: Model, opts: ModelOptions) -> sp.csr_array:
    if model in h.POSITION_WEIGHTS:
        weights = (
            opts.weights if (opts.weights is not None and model == "position_based") else h.POSITION_WEIGHTS[model]
        )
        w = h.position_based(enc, weights=weights)
    elif model == "time_decay":
        w = h.time_decay(enc, half_life=opts.half_life)
    elif model == "last_non_direct":
        w = h.last_non_direct(enc, direct=opts.direct)
    else:
        w = {
            "first_touch": h.first_touch,
            "last_touch": h.last_touch,
            "linear": h.linear,
            "participation": h.participation,
        }[model](enc)
    return h.credit_matrix(enc, w)


def heuristic_matrix(enc: Encoded, model: Model, opts: ModelOptions) -> sp.csr_array | None:
    """Rows x channels credit fractions for rule-based models; None for Markov and the Shapley models."""
    check_model(model)
    if model in ("markov", "shapley", "shapley_counterfactual"):
        return None
    return _heuristic_matrix(enc, model, opts)


def evaluator(enc: Encoded, model: Model, opts: ModelOptions) -> Evaluator:
    """A function from per-row (conversions, nulls, value) to per-channel (conversion, value) credit."""
    check_model(model)
    k = max(enc.n_channels, 1)
    if model == "markov":
        chain = build_chain(enc, order=opts.order)

        def run_markov(c: FloatArray, n: FloatArray, v: FloatArray) -> tuple[FloatArray, FloatArray]:
            _, re, re_value = chain.removal_effects(c, n, v)
            share = re / re.sum() if re.sum() > 0 else np.zeros(k)
            share_value = re_value / re_value.sum() if re_value.sum() > 0 else np.zeros(k)
            return share * c.sum(), share_value * v.sum()

        return run_markov
    if model == "shapley_counterfactual":
        cf = build_counterfactual(enc, n_permutations=opts.n_permutations, seed=opts.seed)

        def run_counterfactual(c: FloatArray, n: FloatArray, v: FloatArray) -> tuple[FloatArray, FloatArray]:
            return cf.credits(c, n, v)

        return run_counterfactual
    if model == "shapley":
        game = build_game(
            enc,
            ordered=opts.ordered,
            max_channels=opts.max_channels,
            exact_limit=opts.exact_limit,
            n_permutations=opts.n_permutations,
            seed=opts.seed,
        )

        def run_shapley(c: FloatArray, n: FloatArray, v: FloatArray) -> tuple[FloatArray, FloatArray]:
            conv, val, _ = game.credits(c, n, v)
            return conv, val

        return run_shapley
    matrix = _heuristic_matrix(enc, model, opts)

    def run_rule(c: FloatArray, n: FloatArray, v: FloatArray) -> tuple[FloatArray, FloatArray]:
        return matrix.T @ c, matrix.T @ v

    return run_rule


def check_model(model: str) -> None:
    """Raise AnalysisError naming the valid models when ``model`` is unknown."""
    check_choice("model", model, MODELS)


def credit_frame(channels: list[str], conversions: FloatArray, value: FloatArray, total: float) -> pl.DataFrame:
    """The result frame: ``channel``, ``conversions``, ``value``, ``share`` (of the total conversions)."""
    k = len(channels)
    return pl.DataFrame(
        {
            "channel": channels,
            "conversions": conversions[:k],
            "value": value[:k],
            "share": conversions[:k] / total if total > 0 else np.zeros(k),
        },
        schema={"channel": pl.String, "conversions": pl.Float64, "value": pl.Float64, "share": pl.Float64},
    )


def with_untouched(credits: pl.DataFrame, enc: Encoded) -> pl.DataFrame:
    """``credits`` plus the :data:`NO_TOUCH` row (conversions no channel is credited with), when there are any."""
    untouched = float(enc.untouched.sum())
    if untouched == 0:
        return credits
    row = pl.DataFrame({"channel": [NO_TOUCH], "conversions": [untouched],
                        "value": [float(enc.untouched_value.sum())], "share": [untouched / enc.total_conversions]},
                       schema=credits.schema)
    return pl.concat([credits, row])


def attribute(paths: pl.DataFrame, *, model: Model, **options: Unpack[ModelKeywords]) -> pl.DataFrame:
    """Credit each channel with conversions and value under one model.

    ``paths`` is a path table from :func:`conversion_paths`. Returns one row per channel (sorted by name):
    ``channel``, ``conversions``, ``value``, ``share`` (of all conversions). Conversions without a touch (a path
    table row with an empty path: offline orders of people with no visit in the lookback) credit no channel; they
    are the last row, :data:`NO_TOUCH`, the same under every model. For every model but
    ``participation`` the credits sum to the total conversions and the total value. Options:
    :class:`ModelOptions`. A table without conversions raises :class:`~analysis.errors.NoConversionsError` (never
    all-zero credits).

    Examples
    --------
    >>> p = pl.DataFrame({"path": [["A", "B"], ["B"]], "conversions": [2, 1], "nulls": [0, 3],
    ...                   "value": [20.0, 5.0]})
    >>> attribute(p, model="linear")["conversions"].to_list()
    [1.0, 2.0]
    """
    return credit_table(paths, model, ModelOptions.of(options))


def credit_table(paths: pl.DataFrame, model: Model, opts: ModelOptions) -> pl.DataFrame:
    """:func:`attribute` with its options as one :class:`ModelOptions`."""
    enc = encode(paths)
    if enc.untouched.sum() > 0 and not enc.conversions.sum() > 0:  # only conversions without a touch
        check_model(model)
        return with_untouched(credit_frame([], np.zeros(0), np.zeros(0), 0.0), enc)
    require_path_conversions(enc)
    conv, val = evaluator(enc, model, opts)(enc.conversions, enc.nulls, enc.value)
    return with_untouched(credit_frame(enc.channels, conv, val, enc.total_conversions), enc)
