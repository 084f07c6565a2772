"""Attempt matching: every candidate entry evaluated at once, one vectorised join per step (no loop over users).

An *attempt* starts at an entry event and runs greedily: each next step is the earliest matching event after the
previous step (``join_asof`` forward on the event's position), within the window from the entry event. For a fixed
entry, the earliest match never reaches less far than a later one, so "the furthest attempt" is exact without
per-step limits. Result columns: the unit keys, ``_b`` (breakdown value at entry), ``_start`` (0-based entry step),
``_ps``/``_ts`` (entry position and time), ``_deadline``, ``_p{k}``/``_t{k}`` per step (null when not reached) and
``_xpos`` (position of a disqualifying exclusion event, else null).
"""

from __future__ import annotations

import polars as pl

from analysis import schema as s
from analysis.errors import AnalysisError
from analysis.funnels.spec import FunnelSpec

UNIT = "_u"
SESSION = "_sess"
VALUE = "_b"


def unit_columns(spec: FunnelSpec) -> list[str]:
    """Columns that identify a counting unit in the matching frames."""
    return [UNIT, SESSION] if spec.counting == "sessions" else [UNIT]


def person_expr(columns: list[str]) -> pl.Expr:
    """The person an event belongs to: ``user_id``, else ``anonymous_id`` when present."""
    if s.ANONYMOUS_ID in columns and s.USER_ID in columns:
        return s.person_key()
    return pl.col(s.USER_ID if s.USER_ID in columns else s.ANONYMOUS_ID)


def event_frame(events: pl.DataFrame, spec: FunnelSpec) -> pl.DataFrame:
    """Events needed by the funnel, sorted, with a global position ``_pos`` and one flag column per step."""
    s.validate_events(events)
    units = unit_columns(spec)
    if spec.counting == "sessions" and s.SESSION_ID not in events.columns:
        raise AnalysisError("counting='sessions' needs a session_id column; run analysis.prepare.prepare first")
    if spec.breakdown is not None and spec.breakdown not in events.columns:
        raise AnalysisError(f"cannot break down by {spec.breakdown!r}: no such column; "
                            f"present: {', '.join(events.columns)}")
    cols = {UNIT: person_expr(events.columns), "_t": pl.col(s.TIMESTAMP), "_e": pl.col(s.EVENT)}
    if SESSION in units:
        cols[SESSION] = pl.col(s.SESSION_ID)
    if spec.breakdown is not None:
        cols[VALUE] = pl.col(spec.breakdown).cast(pl.String)
    # ties at one timestamp are ordered by step number (as PostHog does), so A and B at the same second still count
    rank = {e: i for i, st in reversed(list(enumerate(spec.steps))) for e in st.events}
    # eager on purpose: the same plan run lazily sorts about 2x slower here (polars 2.1)
    frame = events.select(**cols)
    keep = pl.col(UNIT).is_not_null() & pl.col("_t").is_not_null()
    if spec.mode != "strict":
        keep = keep & pl.col("_e").is_in(spec.event_names())
    code = {e: i for i, e in enumerate(spec.event_names())}
    frame = frame.filter(keep).with_columns(
        _r=pl.col("_e").replace_strict(rank, default=spec.n, return_dtype=pl.Int64),
        _e=pl.col("_e").replace_strict(code, default=-1, return_dtype=pl.Int32))  # flags test small ints
    if spec.mode == "strict":
        frame = frame.sort([*units, "_t", "_r"], maintain_order=True)
    else:  # one integer key (time, then step number) sorts faster than two columns
        frame = frame.sort(pl.col("_t").dt.epoch("us") * 1024 + pl.col("_r").clip(0, 1023), maintain_order=True)
    flags = [pl.col("_e").is_in([code[e] for e in st.events]).alias(f"_f{k}") for k, st in enumerate(spec.steps)]
    flags += [pl.col("_e").is_in([code[e] for e in x.events]).alias(f"_x{j}") for j, x in enumerate(spec.exclusions)]
    return frame.with_row_index("_pos").with_columns(pl.col("_pos").cast(pl.Int64), *flags).drop("_e", "_r")


def attempts(frame: pl.DataFrame, spec: FunnelSpec, *, all_starts: bool = False) -> pl.DataFrame:
    """Evaluate every candidate attempt; ``all_starts`` keeps every step-1 entry even for ``anchor='first'``."""
    if spec.mode == "unordered":
        return _unordered(frame, spec, all_starts=all_starts)
    out = _starts(frame, spec, all_starts=all_starts)
    out = _strict(frame, spec, out) if spec.mode == "strict" else _ordered(frame, spec, out)
    return _exclusions(frame, spec, out)


def _in_range(spec: FunnelSpec) -> pl.Expr:
    cond = pl.lit(True)
    if spec.entry_start is not None:
        cond = cond & (pl.col("_t") >= spec.entry_start)
    if spec.entry_end is not None:
        cond = cond & (pl.col("_t") < spec.entry_end)
    return cond


def _starts(frame: pl.DataFrame, spec: FunnelSpec, *, all_starts: bool) -> pl.DataFrame:
    units = unit_columns(spec)
    keep = [*units, *([VALUE] if VALUE in frame.columns else [])]
    entry_steps = [0] if spec.entry == "closed" else list(spec.mandatory)
    parts = [frame.filter(pl.col(f"_f{k}") & _in_range(spec))
             .select(*keep, _start=pl.lit(k, pl.Int32), _ps=pl.col("_pos"), _ts=pl.col("_t"))
             for k in entry_steps]
    out = pl.concat(parts) if len(parts) > 1 else parts[0]
    if len(parts) > 1:
        out = out.sort("_ps")  # an event matching two entry steps enters at the earlier one
        out = out.unique(["_ps"], keep="first", maintain_order=True)
    if spec.anchor == "first" and spec.counting != "totals" and not all_starts:
        out = out.unique(units, keep="first", maintain_order=True)
    elif _can_prune(spec) and not all_starts:
        out = _prune_dominated(frame, spec, out)
    return out.with_columns(
        (pl.col("_ts") + spec.window).alias("_deadline"),
        *[pl.when(pl.col("_start") == k).then(pl.col("_ps")).alias(f"_p{k}") for k in range(spec.n)],
        *[pl.when(pl.col("_start") == k).then(pl.col("_ts")).alias(f"_t{k}") for k in range(spec.n)],
        pl.lit(None, pl.Int64).alias("_xpos"),
    )


def _can_prune(spec: FunnelSpec) -> bool:
    # not with exclusions: a later entry's later deadline can take in an exclusion event the earlier one misses
    return (spec.mode == "ordered" and spec.entry == "closed" and spec.anchor == "furthest"
            and spec.counting != "totals" and len(spec.mandatory) > 1 and not spec.exclusions)


def _prune_dominated(frame: pl.DataFrame, spec: FunnelSpec, starts: pl.DataFrame) -> pl.DataFrame:
    """Keep the latest entry before each step-2 event, and each unit's first entry.

    Two entries with no step-2 event between them follow the same chain, and the later one has the later deadline
    and the shorter gap to step 2: it reaches at least as far and wins the tie-break, so the earlier one can only
    be counted when nobody's attempt gets past step 1, and then the unit's first entry counts (kept).
    """
    units = unit_columns(spec)
    second = _step_events(frame, spec, f"_f{spec.mandatory[1]}").select(*units, "_rp")
    latest = second.join_asof(starts.select(*units, "_ps"), left_on="_rp", right_on="_ps", by=units,
                              strategy="backward", allow_exact_matches=False, check_sortedness=False)
    keep = pl.concat([latest.select("_ps").drop_nulls(),
                      starts.unique(units, keep="first", maintain_order=True).select("_ps")])
    return starts.join(keep.unique(), on="_ps", how="semi", maintain_order="left")


def _step_events(frame: pl.DataFrame, spec: FunnelSpec, flag: str) -> pl.DataFrame:
    return frame.filter(pl.col(flag)).select(*unit_columns(spec), _rp=pl.col("_pos"), _rt=pl.col("_t"))


def _ok(spec: FunnelSpec, k: int, prev: int | None) -> pl.Expr:
    """The candidate ``_rp``/``_rt`` is inside the window and within the step's limit of the previous step."""
    cond = pl.col("_rp").is_not_null() & (pl.col("_rt") <= pl.col("_deadline"))
    limit = spec.steps[k].within
    if limit is not None and prev is not None:
        cond = cond & (pl.col("_rt") - pl.col(f"_t{prev}") <= limit)
    return cond


def _forward(active: pl.DataFrame, right: pl.DataFrame, on: str, units: list[str], *, exact: bool) -> pl.DataFrame:
    return active.sort(on).join_asof(right, left_on=on, right_on="_rp", by=units, strategy="forward",
                                     allow_exact_matches=exact, check_sortedness=False, coalesce=False)


def _ordered(frame: pl.DataFrame, spec: FunnelSpec, att: pl.DataFrame) -> pl.DataFrame:
    units = unit_columns(spec)
    for k in spec.mandatory[1:]:
        prev = spec.previous_mandatory(k)
        cond = (pl.col(f"_p{prev}").is_not_null() & pl.col(f"_p{k}").is_null()).fill_null(False)
        joined = _forward(att.filter(cond), _step_events(frame, spec, f"_f{k}"), f"_p{prev}", units, exact=False)
        ok = _ok(spec, k, prev)
        joined = joined.with_columns(pl.when(ok).then(pl.col("_rp")).alias(f"_p{k}"),
                                     pl.when(ok).then(pl.col("_rt")).alias(f"_t{k}")).drop("_rp", "_rt")
        att = pl.concat([joined, att.filter(~cond)])
    for k in range(spec.n):
        if not spec.steps[k].optional:
            continue
        prev = spec.previous_mandatory(k)
        nxt = min(m for m in spec.mandatory if m > k)
        cond = pl.col(f"_p{prev}").is_not_null()
        joined = _forward(att.filter(cond), _step_events(frame, spec, f"_f{k}"), f"_p{prev}", units, exact=False)
        ok = _ok(spec, k, prev) & (pl.col(f"_p{nxt}").is_null() | (pl.col("_rp") < pl.col(f"_p{nxt}")))
        joined = joined.with_columns(pl.when(ok).then(pl.col("_rp")).alias(f"_p{k}"),
                                     pl.when(ok).then(pl.col("_rt")).alias(f"_t{k}")).drop("_rp", "_rt")
        att = pl.concat([joined, att.filter(~cond)])
    return att


def _strict(frame: pl.DataFrame, spec: FunnelSpec, att: pl.DataFrame) -> pl.DataFrame:
    units = unit_columns(spec)
    att = att.with_columns(_cp=pl.col("_ps"))
    for k in range(1, spec.n):
        prev = spec.previous_mandatory(k)
        cond = (pl.col("_cp").is_not_null() & (pl.col("_start") < k)).fill_null(False)
        right = _step_events(frame, spec, f"_f{k}")
        joined = (att.filter(cond).with_columns(_q=pl.col("_cp") + 1)
                  .join(right, left_on=[*units, "_q"], right_on=[*units, "_rp"], how="left", coalesce=False)
                  .drop("_q", *[f"{u}_right" for u in units]))
        ok = _ok(spec, k, prev)
        matched = pl.when(ok).then(pl.col("_rp"))
        cp = matched if not spec.steps[k].optional else pl.coalesce(matched, pl.col("_cp"))
        joined = joined.with_columns(matched.alias(f"_p{k}"), pl.when(ok).then(pl.col("_rt")).alias(f"_t{k}"),
                                     cp.alias("_cp")).drop("_rp", "_rt")
        att = pl.concat([joined, att.filter(~cond)])
    return att.drop("_cp")


def _exclusions(frame: pl.DataFrame, spec: FunnelSpec, att: pl.DataFrame) -> pl.DataFrame:
    units = unit_columns(spec)
    for j, x in enumerate(spec.exclusions):
        i, b = x.after - 1, (x.before or spec.n) - 1
        cond = pl.col(f"_p{i}").is_not_null()
        joined = _forward(att.filter(cond), _step_events(frame, spec, f"_x{j}"), f"_p{i}", units, exact=False)
        hit = pl.col("_rp").is_not_null() & (
            (pl.col(f"_p{b}").is_not_null() & (pl.col("_rp") < pl.col(f"_p{b}")))
            | (pl.col(f"_p{b}").is_null() & (pl.col("_rt") <= pl.col("_deadline")))
        )
        joined = joined.with_columns(
            pl.min_horizontal(pl.col("_xpos"), pl.when(hit).then(pl.col("_rp"))).alias("_xpos")
        ).drop("_rp", "_rt")
        att = pl.concat([joined, att.filter(~cond)])
    return att


def _unordered(frame: pl.DataFrame, spec: FunnelSpec, *, all_starts: bool) -> pl.DataFrame:
    """Anchor at every step event; each step's first occurrence from the anchor on, within the window."""
    units = unit_columns(spec)
    keep = [*units, *([VALUE] if VALUE in frame.columns else [])]
    any_step = pl.any_horizontal([pl.col(f"_f{k}") for k in range(spec.n)])
    att = frame.filter(any_step & _in_range(spec)).select(
        *keep, _start=pl.lit(0, pl.Int32), _ps=pl.col("_pos"), _ts=pl.col("_t"))
    if spec.anchor == "first" and not all_starts:
        att = att.unique(units, keep="first", maintain_order=True)
    att = att.with_columns(_deadline=pl.col("_ts") + spec.window, _xpos=pl.lit(None, pl.Int64))
    for k in range(spec.n):
        joined = _forward(att, _step_events(frame, spec, f"_f{k}"), "_ps", units, exact=True)
        ok = _ok(spec, k, None)
        att = joined.with_columns(pl.when(ok).then(pl.col("_rp")).alias(f"_q{k}"),
                                  pl.when(ok).then(pl.col("_rt")).alias(f"_r{k}")).drop("_rp", "_rt")
    # step k counts once every mandatory step up to k is done; its time is when that prefix was complete
    cols: list[pl.Expr] = []
    for k in range(spec.n):
        upto = [m for m in spec.mandatory if m <= k]
        done = pl.all_horizontal([pl.col(f"_q{m}").is_not_null() for m in upto])
        if spec.steps[k].optional:
            done = done & pl.col(f"_q{k}").is_not_null()
            t, p = pl.col(f"_r{k}"), pl.col(f"_q{k}")
        else:
            t = pl.max_horizontal([pl.col(f"_r{m}") for m in upto])
            p = pl.max_horizontal([pl.col(f"_q{m}") for m in upto])
        cols += [pl.when(done).then(p).alias(f"_p{k}"), pl.when(done).then(t).alias(f"_t{k}")]
    return att.with_columns(cols).drop([f"_q{k}" for k in range(spec.n)] + [f"_r{k}" for k in range(spec.n)])
