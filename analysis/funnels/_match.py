"""Attempt matching: every candidate entry evaluated at once, one vectorised gather per step (no loop over users).

An *attempt* starts at an entry event and runs greedily: each next step is the earliest matching event after the
previous step (a gather from the step's next-occurrence array), within the window from the entry event. For a fixed
entry, the earliest match never reaches less far than a later one, so "the furthest attempt" is exact without
per-step limits. Result columns: the unit keys, ``_b`` (breakdown value at entry), ``_start`` (0-based entry step),
``_ps``/``_ts`` (entry position and time), ``_deadline``, ``_p{k}``/``_t{k}`` per step (null when not reached) and
``_xpos`` (position of a disqualifying exclusion event, else null).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from analysis import schema as s
from analysis.errors import AnalysisError
from analysis.funnels.spec import FunnelSpec
from analysis.prepare.person import person_key

UNIT = "_u"
SESSION = "_sess"
VALUE = "_b"
UID = "_uid"  # integer id of the counting unit; the frame is sorted by it, so a unit's events are contiguous


def unit_columns(spec: FunnelSpec) -> list[str]:
    """Columns that identify a counting unit in the matching frames."""
    return [UNIT, SESSION] if spec.counting == "sessions" else [UNIT]


def event_frame(events: pl.DataFrame, spec: FunnelSpec) -> tuple[pl.DataFrame, pl.DataFrame, bool]:
    """Events needed by the funnel, sorted by unit then time, with a position ``_pos`` and a flag per step; the
    table of unit ids (``_uid`` to ``_u`` and ``_sess``); and whether ``_uid`` is the row number of that table in
    person order (events already sorted by person and time, as prepared events are).

    Units are contiguous and in time order inside, so "the next step-k event after position p" is one gather from
    a next-occurrence array plus a check against the unit's last position (``_end``): no per-unit grouping and no
    join. Both sorts (only for input not sorted by person and time) use one integer key and move no strings,
    which polars does several times faster than sorting by a string column and the time.
    """
    s.validate_events(events)
    units = unit_columns(spec)
    if spec.counting == "sessions" and s.SESSION_ID not in events.columns:
        raise AnalysisError("counting='sessions' needs a session_id column; run analysis.prepare first")
    if spec.breakdown is not None and spec.breakdown not in events.columns:
        raise AnalysisError(f"cannot break down by {spec.breakdown!r}: no such column; "
                            f"present: {', '.join(events.columns)}")
    code = {e: i for i, e in enumerate(spec.event_names())}
    # one integer code per event (-1: not in the funnel), from one equality per event name: comparing string views
    # is several times cheaper than hashing every string, and later flags compare integers
    event_code = pl.coalesce([*[pl.when(pl.col(s.EVENT) == e).then(pl.lit(i, pl.Int16)) for e, i in code.items()],
                              pl.lit(-1, pl.Int16)]).alias("_c")
    prepared = _prepared_frame(events, spec, event_code, code) if SESSION not in units else None
    if prepared is not None:  # events sorted by person and time, as prepared events are: no sort, no strings
        return _finish(prepared[0], spec, code), prepared[1], True
    who = [c for c in (s.USER_ID, s.ANONYMOUS_ID) if c in events.columns]
    cols = [event_code, pl.col(s.TIMESTAMP).alias("_t"), *who]
    if SESSION in units:
        cols.append(pl.col(s.SESSION_ID).alias(SESSION))
    if spec.breakdown is not None:
        cols.append(pl.col(spec.breakdown).cast(pl.String).alias(VALUE))
    # eager on purpose: the same plan run lazily sorts about 2x slower here (polars 2.1)
    frame = events.select(cols)
    if spec.mode != "strict":
        frame = frame.filter(pl.col("_c") >= 0)
    frame = (frame.with_columns(person_key(events).alias(UNIT)).drop(who)
             .filter(pl.col(UNIT).is_not_null(), pl.col("_t").is_not_null()))
    key = pl.col(UNIT) if SESSION not in units else pl.concat_str(
        [pl.col(UNIT), pl.col(SESSION).fill_null("")], separator="\x1f")
    frame = frame.with_columns(key.cast(pl.Categorical).to_physical().cast(pl.Int64).alias(UID))
    if frame.height and (frame[UID].max() or 0) >= 2**31:  # type: ignore[operator]
        frame = frame.with_columns(pl.col(UID).rank("dense").cast(pl.Int64))
    names = frame.filter(pl.col(UID).is_first_distinct()).select(UID, *units)
    frame = _with_order_key(frame.drop(units), spec, code)
    if not _grouped_in_time_order(frame):
        frame = frame.sort("_k", maintain_order=True)
        frame = frame.sort(pl.col(UID) * 2**32 + pl.int_range(pl.len(), dtype=pl.Int64))
    return _finish(frame, spec, code), names, False


def _with_order_key(frame: pl.DataFrame, spec: FunnelSpec, code: dict[str, int]) -> pl.DataFrame:
    """``_k``: microseconds times 1024 plus the step number, so events at one timestamp are ordered by step (as
    PostHog does: A and B at the same second still count)."""
    rank = np.full(len(code) + 1, min(spec.n, 1023), dtype=np.int64)  # by code + 1; the first: no step (-1)
    for i, st in reversed(list(enumerate(spec.steps))):
        rank[[code[e] + 1 for e in st.events]] = min(i, 1023)
    tie = rank[frame["_c"].to_numpy().astype(np.int64) + 1]
    return frame.with_columns((pl.col("_t").dt.epoch("us") * 1024 + tie).alias("_k"))


def _prepared_frame(events: pl.DataFrame, spec: FunnelSpec, event_code: pl.Expr,
                    code: dict[str, int]) -> tuple[pl.DataFrame, pl.DataFrame] | None:
    """The matching frame and unit table of events sorted by person and time; None when they are not.

    The person column is cut into runs of equal ids once (an equality of string views, the cheapest string
    operation): the runs are the people, numbered in order, and they are sorted when each run's id is greater
    than the previous run's (a check on one row per person, not per event). Only the funnel's events are kept
    after that, with integer unit numbers: no string column is filtered, sorted or hashed.
    """
    person = person_key(events)
    if not person.meta.is_column():
        return None  # a coalesce of user and device ids (raw events): the general path
    ids = events[person.meta.output_name()]
    if ids.null_count() or events[s.TIMESTAMP].null_count() or not events.height:
        return None
    runs = ids.rle()
    heads, lengths = runs.struct.field("value"), runs.struct.field("len").to_numpy()
    if heads.len() > 1 and not heads.slice(1).gt(heads.slice(0, heads.len() - 1)).all():
        return None  # a person's rows are not contiguous, or people are not in order
    extra = [pl.col(spec.breakdown).cast(pl.String).alias(VALUE)] if spec.breakdown is not None else []
    frame = events.select(event_code, pl.col(s.TIMESTAMP).alias("_t"), *extra).with_columns(
        pl.Series(UID, np.repeat(np.arange(heads.len(), dtype=np.int64), lengths)))
    if spec.mode != "strict":
        frame = frame.filter(pl.col("_c") >= 0)
    frame = _with_order_key(frame, spec, code)
    if not _grouped_in_time_order(frame, contiguous=True):
        return None
    return frame, pl.DataFrame({UID: np.arange(heads.len(), dtype=np.int64), UNIT: heads})


def _finish(frame: pl.DataFrame, spec: FunnelSpec, code: dict[str, int]) -> pl.DataFrame:
    """Positions, the unit's last position ``_end`` and one flag column per step and per exclusion."""
    def any_of(events: tuple[str, ...]) -> pl.Expr:
        codes = sorted({code[e] for e in events})
        return pl.col("_c") == codes[0] if len(codes) == 1 else pl.col("_c").is_in(codes)
    flags = [any_of(st.events).alias(f"_f{k}") for k, st in enumerate(spec.steps)]
    flags += [any_of(x.events).alias(f"_x{j}") for j, x in enumerate(spec.exclusions)]
    pos = pl.int_range(pl.len(), dtype=pl.Int64)
    last = (pl.col(UID) != pl.col(UID).shift(-1)).fill_null(True)
    return frame.select(pos.alias("_pos"), pl.all().exclude("_k", "_c"), *flags,
                        pl.when(last).then(pos).backward_fill().alias("_end"))


def ordered_within_units(column: str) -> pl.Expr:
    """True when each unit's rows (contiguous, ``UID``) never go down in ``column``."""
    same = pl.col(UID) == pl.col(UID).shift()
    return (~same | (pl.col(column) >= pl.col(column).shift())).fill_null(True).all()


def _grouped_in_time_order(frame: pl.DataFrame, *, contiguous: bool = False) -> bool:
    """Each unit's rows are contiguous (known when ``contiguous``) and ordered by time (then step number)."""
    if frame.height < 2:
        return True
    in_order = ordered_within_units("_k")
    if contiguous:
        return bool(frame.select(in_order).item())
    check = frame.select(contiguous=pl.col(UID).rle_id().max() + 1 == pl.col(UID).n_unique(), in_order=in_order)
    return bool(check["contiguous"][0] and check["in_order"][0])


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
    keep = [UID, "_end", *([VALUE] if VALUE in frame.columns else [])]
    entry_steps = [0] if spec.entry == "closed" else list(spec.mandatory)
    parts = [frame.filter(pl.col(f"_f{k}") & _in_range(spec))
             .select(*keep, _start=pl.lit(k, pl.Int32), _ps=pl.col("_pos"), _ts=pl.col("_t"))
             for k in entry_steps]
    out = pl.concat(parts) if len(parts) > 1 else parts[0]
    if len(parts) > 1:
        out = out.sort("_ps", "_start")  # an event matching two entry steps enters at the earlier one
        out = out.unique(["_ps"], keep="first", maintain_order=True)
    if spec.anchor == "first" and spec.counting != "totals" and not all_starts:
        out = out.filter(first_of_unit())
    elif _can_prune(spec) and not all_starts:
        out = _prune_dominated(frame, spec, out)
    def at_entry(column: str, k: int, dtype: pl.DataType) -> pl.Expr:  # the entry's value at its own step
        if entry_steps == [k]:
            return pl.col(column)
        if k not in entry_steps:
            return pl.lit(None, dtype)
        return pl.when(pl.col("_start") == k).then(pl.col(column))
    return out.with_columns(
        (pl.col("_ts") + spec.window).alias("_deadline"),
        *[at_entry("_ps", k, pl.Int64()).alias(f"_p{k}") for k in range(spec.n)],
        *[at_entry("_ts", k, frame["_t"].dtype).alias(f"_t{k}") for k in range(spec.n)],
        pl.lit(None, pl.Int64).alias("_xpos"),
    )


def first_of_unit() -> pl.Expr:
    """The first row of each unit in a frame in position order (units are contiguous there)."""
    return (pl.col(UID) != pl.col(UID).shift()).fill_null(True)


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
    entry = frame.select(pl.col("_f0") & _in_range(spec)).to_series().to_numpy()
    latest = np.maximum.accumulate(np.where(entry, np.arange(frame.height), -1))  # last entry at or before
    second = np.flatnonzero(frame[f"_f{spec.mandatory[1]}"].to_numpy()[1:]) + 1
    before = latest[second - 1]  # the latest entry strictly before each step-2 event, if in the same unit
    uid = frame[UID].to_numpy()
    before = before[(before >= 0) & (uid[np.maximum(before, 0)] == uid[second])]
    keep = np.zeros(frame.height, dtype=bool)
    keep[before] = True
    first = starts.select(first_of_unit()).to_series().to_numpy()
    return starts.filter(pl.Series(keep[starts["_ps"].to_numpy()] | first))


def _next_index(frame: pl.DataFrame, flag: str) -> pl.Series:
    """Position of the first ``flag`` event at or after each position; one more entry (null) for "past the end"."""
    nxt = frame.select(pl.when(pl.col(flag)).then(pl.col("_pos")).backward_fill()).to_series()
    return pl.concat([nxt, pl.Series([None], dtype=pl.Int64)], rechunk=True)


def _forward(att: pl.DataFrame, frame: pl.DataFrame, flag: str, on: str, *, exact: bool) -> pl.DataFrame:
    """``_rp``/``_rt``: the first ``flag`` event after (or at, ``exact``) position ``on`` in the same unit, else null.

    A gather from the next-occurrence array of the flag (the same for every attempt), so no sort and no join; the
    unit's last position ``_end`` keeps the match inside the unit.
    """
    at = att[on] if exact else att[on] + 1
    found = _next_index(frame, flag).gather(at)
    return _matched(att, frame, found)


def _matched(att: pl.DataFrame, frame: pl.DataFrame, found: pl.Series) -> pl.DataFrame:
    rp = att.select(pl.when(found <= pl.col("_end")).then(found).alias("_rp")).to_series()
    return att.with_columns(rp, frame["_t"].gather(rp).alias("_rt"))


def _ok(spec: FunnelSpec, k: int, prev: int | None) -> pl.Expr:
    """The candidate ``_rp``/``_rt`` is inside the window and within the step's limit of the previous step."""
    cond = pl.col("_rp").is_not_null() & (pl.col("_rt") <= pl.col("_deadline"))
    limit = spec.steps[k].within
    if limit is not None and prev is not None:
        cond = cond & (pl.col("_rt") - pl.col(f"_t{prev}") <= limit)
    return cond


def _take(cond: pl.Expr, k: int) -> list[pl.Expr]:
    """Step ``k`` becomes the candidate where ``cond`` holds; other attempts keep what they had."""
    return [pl.when(cond).then(pl.col("_rp")).otherwise(pl.col(f"_p{k}")).alias(f"_p{k}"),
            pl.when(cond).then(pl.col("_rt")).otherwise(pl.col(f"_t{k}")).alias(f"_t{k}")]


def _ordered(frame: pl.DataFrame, spec: FunnelSpec, att: pl.DataFrame) -> pl.DataFrame:
    att = _mandatory_chain(frame, spec, att)
    for k in range(spec.n):
        if not spec.steps[k].optional:
            continue
        prev = spec.previous_mandatory(k)
        nxt = min(m for m in spec.mandatory if m > k)
        att = _forward(att, frame, f"_f{k}", f"_p{prev}", exact=False)
        ok = _ok(spec, k, prev) & (pl.col(f"_p{nxt}").is_null() | (pl.col("_rp") < pl.col(f"_p{nxt}")))
        att = att.with_columns(_take(ok, k)).drop("_rp", "_rt")
    return att


def _mandatory_chain(frame: pl.DataFrame, spec: FunnelSpec, att: pl.DataFrame) -> pl.DataFrame:
    """Each mandatory step: the first step event after the previous step, for the attempts still going."""
    if len(spec.mandatory) < 2 or att.is_empty():
        return att
    dtype = frame["_t"].dtype
    p = {k: _filled(att[f"_p{k}"] + 1) for k in spec.mandatory}
    times = {k: _filled(att[f"_t{k}"]) for k in spec.mandatory[1:]}
    _follow_chain(frame, spec, p, times, end=att["_end"].to_numpy(),
                 deadline=att["_deadline"].to_physical().to_numpy())
    later = spec.mandatory[1:]
    raw = pl.DataFrame({**{f"_p{k}": p[k] for k in later}, **{f"_t{k}": times[k] for k in later}})
    reached = raw.select(*[pl.when(pl.col(f"_p{k}") > 0).then(pl.col(f"_p{k}") - 1).alias(f"_p{k}") for k in later],
                         *[pl.when(pl.col(f"_p{k}") > 0).then(pl.col(f"_t{k}").cast(dtype)).alias(f"_t{k}")
                           for k in later])
    return att.with_columns(reached.get_columns())


def _follow_chain(frame: pl.DataFrame, spec: FunnelSpec, p: dict[int, np.ndarray], times: dict[int, np.ndarray], *,
                 end: np.ndarray, deadline: np.ndarray) -> None:
    """Fill ``p`` (position + 1; 0 = not reached, so that untouched ``np.zeros`` cost no memory writes) and ``times``
    (physical) of every later mandatory step in place.

    Each step is one ``searchsorted`` of the attempts still going into the sorted positions of that step's events:
    the work shrinks as attempts drop out. ``end`` is each attempt's unit's last position, ``deadline`` the end of
    its window (physical time).
    """
    t = frame["_t"].to_physical().to_numpy()
    unit = frame["_t"].dtype.time_unit  # type: ignore[attr-defined]
    at = frame.select(*[pl.arg_where(pl.col(f"_f{k}")).implode().alias(str(k)) for k in spec.mandatory[1:]])
    going = np.flatnonzero(p[spec.mandatory[0]])
    for k in spec.mandatory[1:]:  # attempts that reached the previous step look for this one (open entry: not set)
        prev = spec.previous_mandatory(k)
        assert prev is not None
        if spec.entry == "open":  # an attempt may enter at any step
            going = np.flatnonzero((p[prev] > 0) & (p[k] == 0))
        events = at[str(k)][0].to_numpy().astype(np.int64)
        if not going.size or not events.size:
            going = going[:0]
            continue
        after = p[prev][going] - 1
        found = events[np.minimum(np.searchsorted(events, after, side="right"), events.size - 1)]
        when = t[found]
        ok = (found > after) & (found <= end[going]) & (when <= deadline[going])
        limit = spec.steps[k].within
        if limit is not None:
            ok &= when - t[after] <= pl.Series([limit]).cast(pl.Duration(unit)).to_physical()[0]
        going = going[ok]  # closed entry: only these go on to the next step
        p[k][going] = found[ok] + 1
        times[k][going] = when[ok]


def _filled(column: pl.Series) -> np.ndarray:
    """The column's integers (physical) as a writable array, 0 where null."""
    if column.null_count() == column.len():  # a step nobody entered at (closed entry): no memory written
        return np.zeros(column.len(), dtype=np.int64)
    return column.to_physical().cast(pl.Int64).fill_null(0).to_numpy(writable=True)


def _strict(frame: pl.DataFrame, spec: FunnelSpec, att: pl.DataFrame) -> pl.DataFrame:
    att = att.with_columns(_cp=pl.col("_ps"))
    for k in range(1, spec.n):
        prev = spec.previous_mandatory(k)
        active = (pl.col("_cp").is_not_null() & (pl.col("_start") < k)).fill_null(False)
        nxt = att["_cp"] + 1  # the very next event of the unit, if it is a step-k event
        flags = pl.concat([frame[f"_f{k}"], pl.Series([False])], rechunk=True)
        att = _matched(att, frame, att.select(pl.when(flags.gather(nxt)).then(nxt)).to_series())
        ok = _ok(spec, k, prev)
        matched = pl.when(ok).then(pl.col("_rp"))
        cp = matched if not spec.steps[k].optional else pl.coalesce(matched, pl.col("_cp"))
        att = att.with_columns(
            pl.when(active).then(matched).otherwise(pl.col(f"_p{k}")).alias(f"_p{k}"),
            pl.when(active).then(pl.when(ok).then(pl.col("_rt"))).otherwise(pl.col(f"_t{k}")).alias(f"_t{k}"),
            pl.when(active).then(cp).otherwise(pl.col("_cp")).alias("_cp"),
        ).drop("_rp", "_rt")
    return att.drop("_cp")


def _exclusions(frame: pl.DataFrame, spec: FunnelSpec, att: pl.DataFrame) -> pl.DataFrame:
    for j, x in enumerate(spec.exclusions):
        i, b = x.after - 1, (x.before or spec.n) - 1
        att = _forward(att, frame, f"_x{j}", f"_p{i}", exact=False)  # null where step ``after`` was not reached
        hit = pl.col("_rp").is_not_null() & (
            (pl.col(f"_p{b}").is_not_null() & (pl.col("_rp") < pl.col(f"_p{b}")))
            | (pl.col(f"_p{b}").is_null() & (pl.col("_rt") <= pl.col("_deadline")))
        )
        att = att.with_columns(
            pl.min_horizontal(pl.col("_xpos"), pl.when(hit).then(pl.col("_rp"))).alias("_xpos")
        ).drop("_rp", "_rt")
    return att


def _unordered(frame: pl.DataFrame, spec: FunnelSpec, *, all_starts: bool) -> pl.DataFrame:
    """Anchor at every step event; each step's first occurrence from the anchor on, within the window."""
    keep = [UID, "_end", *([VALUE] if VALUE in frame.columns else [])]
    any_step = pl.any_horizontal([pl.col(f"_f{k}") for k in range(spec.n)])
    att = frame.filter(any_step & _in_range(spec)).select(
        *keep, _start=pl.lit(0, pl.Int32), _ps=pl.col("_pos"), _ts=pl.col("_t"))
    if spec.anchor == "first" and not all_starts:
        att = att.filter(first_of_unit())
    att = att.with_columns(_deadline=pl.col("_ts") + spec.window, _xpos=pl.lit(None, pl.Int64))
    for k in range(spec.n):
        joined = _forward(att, frame, f"_f{k}", "_ps", exact=True)
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
