"""Persona names that say only what is true: every phrase is a material and clear difference shown in the profile.

A name is a head word and a list of claims, e.g. "Deal hunters: look at promotions 3x as often, arrive via Paid
Search 2.5x as often, convert 2x as often". A claim is made only for a difference that is both material and clear
(:mod:`analysis.personas.profiles`): an over-indexed event (the most over-indexed gives the head word, an
archetype such as "Deal hunters"), an over-indexed channel, and the conversion multiple. Each multiple is the
persona's mean over the rest's (``index``), rounded as written; a lower conversion reads "convert less often (0.6x
the rate)". A persona without any such difference gets a neutral name, "Group 2".
"""

from __future__ import annotations

import numpy as np
import polars as pl

#: Archetype nouns for common (GA4-style) events: the first word of a generated persona name.
ARCHETYPES = {
    "view_promotion": "Deal hunters",
    "select_promotion": "Deal hunters",
    "search": "Searchers",
    "view_item_list": "Researchers",
    "select_item": "Researchers",
    "file_download": "Researchers",
    "view_item": "Window shoppers",
    "page_view": "Browsers",
    "scroll": "Scrollers",
    "share": "Sharers",
    "view_cart": "Cart keepers",
    "add_to_cart": "Cart builders",
    "add_to_wishlist": "Wishlisters",
    "login": "Members",
    "sign_up": "Newcomers",
    "purchase": "Buyers",
}
#: Verb phrases for the same events ("compare often" reads better than "select_item").
PHRASES = {
    "view_promotion": "look at promotions",
    "select_promotion": "click promotions",
    "search": "search",
    "view_item_list": "browse product lists",
    "select_item": "compare products",
    "file_download": "download files",
    "view_item": "view products",
    "page_view": "read pages",
    "scroll": "scroll",
    "share": "share",
    "view_cart": "check their cart",
    "add_to_cart": "add to cart",
    "add_to_wishlist": "save to wishlists",
    "login": "log in",
}
CLAIM_SCHEMA = {"persona_id": pl.Int64, "kind": pl.String, "item": pl.String, "ratio": pl.Float64, "text": pl.String,
                "persona_value": pl.Float64, "rest_value": pl.Float64}


def neutral_name(persona_id: int) -> str:
    """The name of a persona without a material and clear difference: ``"Group 2"`` for id 1."""
    return f"Group {persona_id + 1}"


def claims(summary: pl.DataFrame, drivers: pl.DataFrame) -> pl.DataFrame:
    """What each persona's name states: ``persona_id``, ``kind`` (``event``, ``channel``, ``conversion``),
    ``item``, ``ratio`` (persona vs rest), the ``text`` used in the name, in the name's order, and the evidence:
    ``persona_value`` and ``rest_value`` (share of events, share of sessions or conversion rate).

    Examples
    --------
    >>> summary = pl.DataFrame({"persona_id": [0], "conversion_index": [2.0], "conversion_clear": [True],
    ...                         "conversion_material": [True], "conversion_rate": [0.2], "conversion_rate_rest": [0.1]})
    >>> drivers = pl.DataFrame({"persona_id": [0, 0], "kind": ["event", "channel"], "item": ["search", "Email"],
    ...                         "index": [3.0, 1.1], "effect": [1.2, 0.1], "clear": [True, True],
    ...                         "material": [True, False], "mean": [0.3, 0.5], "mean_rest": [0.1, 0.45]})
    >>> claims(summary, drivers)["text"].to_list()
    ['search 3x as often', 'convert 2x as often']
    """
    named = drivers.filter(pl.col("clear") & pl.col("material") & (pl.col("effect") > 0)
                           & pl.col("kind").is_in(["event", "channel"]))
    named = named.sort(["persona_id", "effect"], descending=[False, True])
    rows: list[tuple[int, str, str, float, str, float, float]] = []
    used: set[str] = set()
    for row in summary.iter_rows(named=True):  # one row per persona (k is small)
        pid = int(row["persona_id"])
        mine = named.filter(pl.col("persona_id") == pid)
        events = [(str(e), float(i), float(a), float(b)) for e, i, a, b in mine.filter(pl.col("kind") == "event")
                  .select("item", "index", "mean", "mean_rest").iter_rows() if times(float(i)) != "1x"]
        # the strongest event whose archetype no earlier persona has, else the strongest one
        event = next((e for e in events if archetype(e[0]) not in used), events[0] if events else None)
        if event is not None:
            used.add(archetype(event[0]))
            rows.append((pid, "event", event[0], event[1], f"{phrase(event[0])} {times(event[1])} as often",
                         event[2], event[3]))
        channel = mine.filter(pl.col("kind") == "channel").head(1)
        if channel.height and times(float(channel["index"][0])) != "1x":
            item, ratio = str(channel["item"][0]), float(channel["index"][0])
            rows.append((pid, "channel", item, ratio, f"arrive via {item} {times(ratio)} as often",
                         float(channel["mean"][0]), float(channel["mean_rest"][0])))
        conv = row.get("conversion_index")
        if (row.get("conversion_clear") and row.get("conversion_material") and conv is not None
                and np.isfinite(conv) and times(conv) != "1x"):
            said = f"convert {times(conv)} as often" if conv >= 1 else f"convert less often ({times(conv)} the rate)"
            rows.append((pid, "conversion", "conversion", float(conv), said,
                         float(row["conversion_rate"]), float(row["conversion_rate_rest"])))
    return pl.DataFrame(rows, schema=CLAIM_SCHEMA, orient="row")


def generated_names(summary: pl.DataFrame, drivers: pl.DataFrame) -> list[str]:
    """One name per persona of ``summary`` (in its order) from its :func:`claims`; neutral without any.

    The head word is the archetype of the persona's claimed event (the strongest event whose archetype is still
    free; a persona whose only events have taken archetypes keeps its claims under a neutral head).

    Examples
    --------
    >>> summary = pl.DataFrame({"persona_id": [0, 1], "conversion_index": [None, None],
    ...                         "conversion_clear": [False, False], "conversion_material": [False, False]},
    ...                        schema_overrides={"conversion_index": pl.Float64})
    >>> drivers = pl.DataFrame({"persona_id": [0], "kind": ["event"], "item": ["view_promotion"], "index": [3.0],
    ...                         "effect": [1.5], "clear": [True], "material": [True], "mean": [0.3],
    ...                         "mean_rest": [0.1]})
    >>> generated_names(summary, drivers)
    ['Deal hunters: look at promotions 3x as often', 'Group 2']
    """
    said = claims(summary, drivers)
    used: set[str] = set()
    names: list[str] = []
    for pid in summary["persona_id"].to_list():
        mine = said.filter(pl.col("persona_id") == pid)
        event = mine.filter(pl.col("kind") == "event")["item"].to_list()
        head = archetype(event[0]) if event else neutral_name(pid)
        if head in used:
            head = neutral_name(pid)
        used.add(head)
        texts = mine["text"].to_list()
        names.append(f"{head}: {', '.join(texts)}" if texts else head)
    return names


def archetype(event: str) -> str:
    """The head word for a persona that does ``event`` more: ``"Deal hunters"``, or ``"<Event> fans"``."""
    return ARCHETYPES.get(event, event.replace("_", " ").capitalize() + " fans")


def phrase(event: str) -> str:
    """The verb phrase for ``event``: ``"look at promotions"``, or the event name in words."""
    return PHRASES.get(event, event.replace("_", " "))


def times(ratio: float) -> str:
    """``2.04 -> "2x"``, ``1.46 -> "1.5x"``, ``0.5 -> "0.5x"``, ``37 -> ">10x"``: one decimal, capped at 10."""
    if not np.isfinite(ratio) or ratio > 10:
        return ">10x"
    text = f"{ratio:.1f}".removesuffix(".0")
    return f"{text}x"
