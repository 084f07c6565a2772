"""Channel grouping: GA4's default channel group as editable data (``channel_rules.csv``, ``channel_sources.csv``).

Each event's acquisition fields are normalised first (lower-cased, trimmed, empty = missing). A referrer-only touch
(no source, no medium) becomes source = referrer host, medium = ``organic`` for search sites else ``referral``, as
GA4 does; a touch with nothing at all (and no click id) is ``(direct)`` / ``(none)``. Then the rules run in
priority order, first match wins, ``Unassigned`` when none matches. Rules are evaluated once per distinct
combination of fields, not per event, and joined back.

Within a session, events that carry no acquisition field at all take the channel of the latest earlier event of
the session that does (normally its landing event). A non-null ``channel`` already on an event is kept as given.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl

from analysis import schema as s
from analysis.errors import AnalysisError

RULES_PATH = Path(__file__).resolve().parent / "channel_rules.csv"
SOURCES_PATH = Path(__file__).resolve().parent / "channel_sources.csv"
RULES_VERSION = "v1 (2026-11)"
UNASSIGNED = "Unassigned"
#: The channel of events made from people files (store and guest orders, CRM lifecycle changes): not a visit, so
#: never part of a web session and never a touch attribution credits (docs/decisions/0014-offline-events-no-touch.md).
OFFLINE = "Offline"
CLICK_IDS = ("gclid", "gbraid", "wbraid", "msclkid", "dclid")
RULE_FIELDS = ("source", "medium", "campaign", "click_id")
OPERATORS = ("in", "re", "contains", "starts", "ends", "list")
_KEYS = ("_src", "_med", "_camp", "_ref", "_click")


@cache
def _read_rules() -> pl.DataFrame:
    return pl.read_csv(RULES_PATH, comment_prefix="#", infer_schema=False).with_columns(
        pl.col("priority").cast(pl.Int64)
    )


@cache
def _read_sources() -> pl.DataFrame:
    return pl.read_csv(SOURCES_PATH, comment_prefix="#", infer_schema=False)


def load_channel_rules() -> pl.DataFrame:
    """The shipped rule table (GA4 default channel group), one row per alternative, as a new frame.

    Examples
    --------
    >>> load_channel_rules().filter(pl.col("priority") == 1)["channel"].to_list()
    ['Direct']
    """
    return _read_rules().clone()


def load_source_lists() -> pl.DataFrame:
    """The shipped site lists (columns ``list``, ``source``) that ``list:NAME`` cells refer to."""
    return _read_sources().clone()


def _norm(expr: pl.Expr) -> pl.Expr:
    text = expr.cast(pl.String).str.strip_chars().str.to_lowercase()
    return pl.when(text != "").then(text)


def _site_names(expr: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """The value as is and its first label once a leading www./m./l. is dropped."""
    host = expr.str.replace(r"^(www|m|l|lm)\.", "")
    return expr, host.str.extract(r"^([^.]+)", 1)


def _condition(field: str, cell: str, sites: dict[str, list[str]], row: int) -> pl.Expr:
    column = pl.col(dict(zip(RULE_FIELDS, ("_src", "_med", "_camp", "_click"), strict=True))[field])
    op, sep, arg = cell.strip().partition(":")
    op = op.strip().lower()
    if not sep or op not in OPERATORS:
        raise AnalysisError(
            f"channel rule row {row}, column {field!r}: cannot read {cell!r}; "
            f"write OPERATOR:VALUE with an operator among {', '.join(OPERATORS)}"
        )
    arg = arg.strip().lower()
    if op == "in":
        return column.is_in([v.strip() for v in arg.split("|")])
    if op == "re":
        return column.str.contains(arg)
    if op == "contains":
        return column.str.contains(arg, literal=True)
    if op == "starts":
        return column.str.starts_with(arg)
    if op == "ends":
        return column.str.ends_with(arg)
    if arg not in sites:
        raise AnalysisError(
            f"channel rule row {row}, column {field!r}: no site list {arg!r}; lists: {', '.join(sorted(sites))}"
        )
    whole, label = _site_names(column)
    return whole.is_in(sites[arg]) | label.is_in(sites[arg])


def _check_rules(rules: pl.DataFrame) -> pl.DataFrame:
    missing = [c for c in ("priority", "channel", "source", "medium", "campaign") if c not in rules.columns]
    if missing:
        raise AnalysisError(
            f"channel rules lack the column(s) {', '.join(missing)}; expected priority, channel, "
            f"{', '.join(RULE_FIELDS)} (click_id and note optional)"
        )
    bad = rules.filter(pl.col("channel").is_null() | (pl.col("channel").cast(pl.String).str.strip_chars() == ""))
    if bad.height:
        raise AnalysisError("every channel rule needs a channel name; a row has an empty `channel`")
    try:
        priority = rules["priority"].cast(pl.Int64, strict=True)
    except pl.exceptions.InvalidOperationError as exc:
        raise AnalysisError(f"channel rule `priority` must be whole numbers: {exc}") from None
    if priority.null_count():
        raise AnalysisError("every channel rule needs a priority (a whole number; lower runs first)")
    return rules.with_columns(priority).with_row_index("_rule", offset=1)


def _channel_expr(rules: pl.DataFrame, sources: pl.DataFrame) -> pl.Expr:
    """One when/then chain over the rules in priority order; rows of one priority are OR-ed."""
    sites: dict[str, list[str]] = {}
    for name, source in sources.select(_norm(pl.col("list")), _norm(pl.col("source"))).drop_nulls().iter_rows():
        sites.setdefault(name, []).append(source)
    table = _check_rules(rules)
    fields = [f for f in RULE_FIELDS if f in table.columns]
    by_priority: dict[int, tuple[str, list[pl.Expr]]] = {}
    for rule in table.sort("priority", "_rule").iter_rows(named=True):  # a few dozen rules, not data rows
        cells = [(f, rule[f]) for f in fields if rule[f] is not None and str(rule[f]).strip()]
        if not cells:
            raise AnalysisError(f"channel rule row {rule['_rule']} ({rule['channel']}) has no condition")
        cond = pl.all_horizontal([_condition(f, str(v), sites, rule["_rule"]) for f, v in cells]).fill_null(False)
        channel, alternatives = by_priority.setdefault(rule["priority"], (str(rule["channel"]).strip(), []))
        alternatives.append(cond)
    expr: pl.Expr = pl.lit(UNASSIGNED)
    for channel, alternatives in reversed(by_priority.values()):  # build the chain from the last rule inwards
        expr = pl.when(pl.any_horizontal(alternatives)).then(pl.lit(channel)).otherwise(expr)
    return expr


def validate_channel_rules(rules: pl.DataFrame, *, source_lists: pl.DataFrame | None = None) -> pl.DataFrame:
    """Check an (edited) rule table and return it unchanged; raises AnalysisError naming the bad row and cell.

    Examples
    --------
    >>> validate_channel_rules(load_channel_rules()).height > 20
    True
    """
    _channel_expr(rules, _read_sources() if source_lists is None else source_lists)
    return rules


def _field(events: pl.DataFrame, name: str) -> pl.Expr:
    return _norm(pl.col(name)) if name in events.columns else pl.lit(None, pl.String)


def _touch_keys(events: pl.DataFrame) -> list[pl.Expr]:
    """Normalised source, medium, campaign, referrer host and click-id name of each event."""
    present = [c for c in CLICK_IDS if c in events.columns]
    click = pl.coalesce([pl.when(_norm(pl.col(c)).is_not_null()).then(pl.lit(c)) for c in present]) if present \
        else pl.lit(None, pl.String)
    host = (
        _field(events, s.REFERRER).str.extract(r"^(?:[a-z][a-z0-9+.\-]*://)?([^/:?#]+)", 1)
        .str.replace(r"^www\.", "")
    )
    return [
        _field(events, s.SOURCE).alias("_src"),
        _field(events, s.MEDIUM).alias("_med"),
        _field(events, s.CAMPAIGN).alias("_camp"),
        host.alias("_ref"),
        click.alias("_click"),
    ]


def _classify(combos: pl.DataFrame, rules: pl.DataFrame, sources: pl.DataFrame) -> pl.DataFrame:
    """Channel per distinct touch: fill the GA4 defaults for referrer-only and empty touches, then run the rules."""
    search = sources.filter(_norm(pl.col("list")) == "search").select(_norm(pl.col("source")))["source"]
    nothing = pl.col("_src").is_null() & pl.col("_med").is_null()
    whole, label = _site_names(pl.col("_ref"))
    ref_medium = pl.when(whole.is_in(search.implode()) | label.is_in(search.implode())).then(
        pl.lit("organic")).otherwise(pl.lit("referral"))
    filled = combos.with_columns(
        pl.when(nothing & pl.col("_ref").is_not_null()).then(pl.col("_ref"))
        .when(nothing & pl.col("_click").is_null()).then(pl.lit("(direct)"))
        .otherwise(pl.col("_src").fill_null("(not set)")).alias("_src"),
        pl.when(nothing & pl.col("_ref").is_not_null()).then(ref_medium)
        .when(nothing & pl.col("_click").is_null()).then(pl.lit("(none)"))
        .otherwise(pl.col("_med").fill_null("(not set)")).alias("_med"),
    )
    return combos.with_columns(filled.select(_channel_expr(rules, sources).alias("_channel")).to_series())


def _carries() -> pl.Expr:
    return pl.any_horizontal([pl.col(k).is_not_null() for k in _KEYS])


def touch_channels(
    events: pl.DataFrame, *, rules: pl.DataFrame | None = None, source_lists: pl.DataFrame | None = None
) -> pl.Series:
    """The rule-based channel of each event's own touch, in input order (null where the event carries no field).

    The step :func:`assign_channels` and :func:`~analysis.prepare.prepare` fill sessions from; an ``Enum`` series,
    so that sorting and filling it moves small integers.

    Examples
    --------
    >>> ev = pl.DataFrame({"source": ["google", None], "medium": ["cpc", None]})
    >>> touch_channels(ev).cast(pl.String).to_list()
    ['Paid Search', None]
    """
    raw = [c for c in (*s.ACQUISITION, *CLICK_IDS) if c in events.columns]
    if not raw:
        return pl.Series(s.CHANNEL, [None] * events.height, dtype=pl.String)
    # classify each distinct raw touch once; join back on a 64-bit row hash (checked for collisions below)
    hashed = events.select(*raw, pl.struct(raw).hash(seed=0).alias("_hash"))
    combos = hashed.unique()
    if combos["_hash"].n_unique() != combos.height:  # a hash collision: fall back to joining on the values
        combos, on = combos.drop("_hash"), raw
    else:
        on = ["_hash"]
    combos = combos.with_columns(_touch_keys(combos))
    table = _classify(
        combos, _read_rules() if rules is None else rules, _read_sources() if source_lists is None else source_lists
    ).select(*on, pl.when(_carries()).then(pl.col("_channel")).alias(s.CHANNEL))
    # an Enum keeps the per-event column a small integer while prepare sorts and fills it
    names = pl.Enum(sorted({*table[s.CHANNEL].drop_nulls().to_list(), "Direct"}))
    joined = hashed.select(on).join(
        table.with_columns(pl.col(s.CHANNEL).cast(names)), on=on, how="left", nulls_equal=True, maintain_order="left"
    )
    return joined[s.CHANNEL]


def fill_sorted_sessions(own: pl.Expr, new_session: pl.Expr, *, default: str) -> pl.Expr:
    """Forward-fill ``own`` within sessions of a frame sorted by person and time (no group-by needed).

    ``new_session`` marks each session's first row. Rows before the first carrier of their session get ``default``.
    """
    row = pl.int_range(pl.len(), dtype=pl.Int64)
    last_carrier = pl.when(own.is_not_null()).then(row).forward_fill()
    session_start = pl.when(new_session).then(row).forward_fill()
    filled = own.forward_fill().cast(pl.String)
    return pl.when(last_carrier >= session_start).then(filled).otherwise(pl.lit(default))


def assign_channels(
    events: pl.DataFrame,
    *,
    rules: pl.DataFrame | None = None,
    source_lists: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Fill ``channel`` from the acquisition fields with the (GA4 default) channel rules.

    Keeps a non-null ``channel`` as given. When the events have a ``session_id``, events without acquisition
    fields take the channel of the latest earlier touch in their session (its landing event); otherwise such an
    event is Direct. Returns a new frame in the input order.

    Parameters
    ----------
    rules
        A rule table like :func:`load_channel_rules` (edited or not); the shipped one when ``None``.
    source_lists
        Site lists like :func:`load_source_lists`; the shipped ones when ``None``.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> ev = pl.DataFrame({"user_id": ["u1", "u1"], "timestamp": [datetime(2026, 1, 1, tzinfo=timezone.utc)] * 2,
    ...                    "event": ["page_view"] * 2, "source": ["google", "Newsletter "],
    ...                    "medium": ["cpc", "Email"]})
    >>> assign_channels(ev)["channel"].to_list()
    ['Paid Search', 'Email']
    """
    s.validate_events(events)
    own = touch_channels(events, rules=rules, source_lists=source_lists)
    given = pl.col(s.CHANNEL) if s.CHANNEL in events.columns else pl.lit(None, pl.String)
    if s.SESSION_ID not in events.columns:
        out = events.with_columns(pl.coalesce(given, own.cast(pl.String).fill_null("Direct")).alias(s.CHANNEL))
        return out if s.CHANNEL in events.columns else out.select(*events.columns, s.CHANNEL)
    ordered = (
        events.with_columns(own.alias("_own"), pl.int_range(pl.len(), dtype=pl.Int64).alias("_row"))
        .sort(s.SESSION_ID, s.TIMESTAMP, "_row")
        .with_columns(
            pl.coalesce(
                given,
                fill_sorted_sessions(
                    pl.col("_own"), pl.col(s.SESSION_ID).ne_missing(pl.col(s.SESSION_ID).shift()), default="Direct"
                ),
            ).alias(s.CHANNEL)
        )
        .sort("_row")
    )
    columns = events.columns if s.CHANNEL in events.columns else [*events.columns, s.CHANNEL]
    return ordered.select(columns)


@dataclass(frozen=True)
class UnassignedReport:
    """How much traffic no rule matched: ``share`` of events and the top ``pairs`` (source, medium, events, share)."""

    events: int
    unassigned: int
    pairs: pl.DataFrame

    @property
    def share(self) -> float:
        return self.unassigned / self.events if self.events else 0.0


def unassigned_report(events: pl.DataFrame, *, top_n: int = 10) -> UnassignedReport:
    """Share of events in ``Unassigned`` and the source/medium pairs that cause it (events need ``channel``).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> ev = pl.DataFrame({"user_id": ["u1"], "timestamp": [datetime(2026, 1, 1, tzinfo=timezone.utc)],
    ...                    "event": ["page_view"], "source": ["partner"], "medium": ["qr"]})
    >>> unassigned_report(assign_channels(ev)).pairs.row(0)
    ('partner', 'qr', 1, 1.0)
    """
    s.validate_events(events, require=(s.CHANNEL,))
    total = events.height
    bad = events.filter(pl.col(s.CHANNEL) == UNASSIGNED)
    pairs = (
        bad.select(_field(events, s.SOURCE).alias("source"), _field(events, s.MEDIUM).alias("medium"))
        .group_by("source", "medium")
        .agg(pl.len().cast(pl.Int64).alias("events"))
        .with_columns((pl.col("events") / total).alias("share"))
        .sort("events", "source", "medium", descending=[True, False, False], nulls_last=True)
        .head(top_n)
    )
    return UnassignedReport(events=total, unassigned=bad.height, pairs=pairs)
