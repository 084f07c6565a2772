"""What a funnel is: its steps, exclusions and counting options, validated once, described in plain words.

Every option that changes a number is named here, so the page can show the definition next to the number.

Our rules, and where the peers differ (same input, different answers):

* **Window** from the step-1 event of the attempt, inclusive (PostHog, Mixpanel). Per-step ``within`` limits
  run from the previous mandatory step, inclusive (GA4). Each step is matched greedily to its earliest event after
  the previous step, so with a per-step limit a later repeat of the previous step does not re-anchor the limit.
* **Anchor** ``furthest`` (default): every step-1 event in the date range starts an attempt; the attempt that
  gets furthest counts, the earliest to get there, entered at the most recent step-1 event before it (PostHog,
  Amplitude's "earliest-longest", Mixpanel's optimized re-entry). ``first``: only the first step-1 event in the
  range (Mixpanel's documented example: A 13:00, A 13:30, B 13:45, C 14:15 with a 1-hour window stops at B; with
  ``furthest`` it converts).
* **Date range** governs entry only; later steps count up to the end of the window (PostHog issue #44204's ask,
  Amplitude's default).
* **Exclusions** disqualify the attempt: an exclusion event after step ``after`` and before step ``before``, or
  inside the window when ``before`` is never reached (PostHog). A person counts with their best attempt that is
  not excluded; PostHog instead drops the person when their furthest attempt is excluded.
* **Ties** at one timestamp are ordered by step number, so A and B in the same microsecond still convert (PostHog).
* **Strict**: the next step must be the person's (or session's) very next event of any kind.
* **Unordered**: step k counts when steps 1..k all happen within one window, in any order (Amplitude); its time is
  when the last of them happened.
* **Open** entry: a person may enter at any step, and a step counts when any of their attempts reaches it (GA4
  open funnels); counts may then rise from step to step.
* **Optional** steps are skipped when looking for the next step; one counts when it happens between the previous
  and the next mandatory step (PostHog's engine). Conversion "from previous" compares with the previous mandatory
  step.
* **Counting**: ``users`` (uniques), ``sessions`` (every step in one session) or ``totals``: sequential attempts
  per person, the next opening at the first step-1 event after the previous one converted, timed out or was
  excluded (Mixpanel totals; each attempt anchored at its opening event).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal, get_args

from analysis.errors import AnalysisError
from analysis.vocabulary import OTHER

FunnelMode = Literal["ordered", "strict", "unordered"]
Entry = Literal["closed", "open"]
Counting = Literal["users", "sessions", "totals"]
Anchor = Literal["furthest", "first"]
Attribution = Literal["step1", "first_touch", "last_touch"]

MODES: tuple[str, ...] = get_args(FunnelMode)
ENTRIES: tuple[str, ...] = get_args(Entry)
COUNTINGS: tuple[str, ...] = get_args(Counting)
ANCHORS: tuple[str, ...] = get_args(Anchor)
ATTRIBUTIONS: tuple[str, ...] = get_args(Attribution)
NONE_VALUE = "(none)"


@dataclass(frozen=True)
class Step:
    """One funnel step: any of ``events`` (OR), optionally skippable, optionally within a time of the previous step.

    ``within`` limits the time from the previous mandatory step (inclusive), like GA4's
    ``within_duration_from_prior_step``.
    """

    events: tuple[str, ...]
    name: str | None = None
    optional: bool = False
    within: timedelta | None = None

    @property
    def label(self) -> str:
        """The name shown for the step: ``name``, else its events joined by " or "."""
        return self.name or " or ".join(self.events)


@dataclass(frozen=True)
class Exclusion:
    """Any of ``events`` between step ``after`` and step ``before`` (1-based) disqualifies the attempt.

    ``before=None`` means the last step. When step ``before`` is never reached, an exclusion event inside the
    conversion window after step ``after`` still disqualifies the attempt (PostHog's rule).
    """

    events: tuple[str, ...]
    after: int = 1
    before: int | None = None


StepLike = str | Sequence[str] | Step


@dataclass(frozen=True)
class FunnelSpec:
    """A validated funnel definition (built by :func:`funnel_spec`)."""

    steps: tuple[Step, ...]
    window: timedelta = timedelta(days=7)
    mode: FunnelMode = "ordered"
    entry: Entry = "closed"
    counting: Counting = "users"
    anchor: Anchor = "furthest"
    exclusions: tuple[Exclusion, ...] = ()
    entry_start: datetime | None = None
    entry_end: datetime | None = None  # exclusive
    breakdown: str | None = None
    attribution: Attribution = "step1"
    top_n: int | None = 10  # None keeps every value
    mandatory: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "mandatory", tuple(i for i, st in enumerate(self.steps) if not st.optional))

    @property
    def n(self) -> int:
        """Number of steps."""
        return len(self.steps)

    @property
    def labels(self) -> list[str]:
        """Step labels, de-duplicated with a step number when two steps share a name."""
        raw = [st.label for st in self.steps]
        return [f"{i + 1}. {lab}" if raw.count(lab) > 1 else lab for i, lab in enumerate(raw)]

    def previous_mandatory(self, k: int) -> int | None:
        """0-based index of the mandatory step before step ``k`` (0-based), None for the first."""
        earlier = [m for m in self.mandatory if m < k]
        return earlier[-1] if earlier else None

    def event_names(self) -> list[str]:
        """Every event name a step or an exclusion refers to."""
        names = {e for st in self.steps for e in st.events} | {e for x in self.exclusions for e in x.events}
        return sorted(names)

    def describe(self) -> dict[str, str]:
        """The definition of every number, in plain words, keyed by option."""
        mode = {
            "ordered": "steps in this order; other events may happen in between",
            "strict": "steps in this order, each directly followed by the next (no other event in between)",
            "unordered": "all steps within the window, in any order",
        }[self.mode]
        anchor = {
            "furthest": "each step-1 event starts an attempt; the attempt that gets furthest counts "
                        "(the earliest to get there, entered at its most recent step-1 event)",
            "first": "only the first step-1 event in the date range starts the attempt (Mixpanel-style)",
        }[self.anchor]
        counting = {
            "users": "unique people, each counted once",
            "sessions": "sessions: every step within one session, each session counted once",
            "totals": "attempts: a person re-enters after an attempt ends (converted, timed out or excluded)",
        }[self.counting]
        limits = [f"step {i + 1} within {_fmt(st.within)} of the previous step"
                  for i, st in enumerate(self.steps) if st.within is not None]
        optional = [f"step {i + 1}" for i, st in enumerate(self.steps) if st.optional]
        out = {
            "mode": mode,
            "entry": "closed: people must enter at step 1" if self.entry == "closed"
            else "open: people may enter at any step",
            "window": (f"{_fmt(self.window)} from the step-1 event of the attempt" if self.mode != "unordered"
                       else f"all steps within {_fmt(self.window)} of the first of them")
                      + (f"; {', '.join(limits)}" if limits else ""),
            "anchor": _describe_anchor(self, anchor),
            "counting": counting,
            "exclusions": "; ".join(
                f"{' or '.join(x.events)} between step {x.after} and step {x.before or self.n} disqualifies "
                "the attempt" for x in self.exclusions) or "none",
            "date range": _describe_range(self.entry_start, self.entry_end),
        }
        out["conversion"] = ("from step 1 = units at the step / units at step 1; from previous = units at the step / "
                             "units at the previous mandatory step, and drop-off is the difference; times are "
                             "medians and means over the units that reached the step")
        if optional:
            out["optional steps"] = ", ".join(optional) + " may be skipped"
        if self.breakdown:
            kept = f"top {self.top_n} values, the rest as {OTHER!r}" if self.top_n else "every value"
            out["breakdown"] = f"{self.breakdown} ({self.attribution.replace('_', ' ')} value), {kept}"
        return out


def funnel_spec(
    steps: Sequence[StepLike],
    *,
    window: timedelta = timedelta(days=7),
    mode: FunnelMode = "ordered",
    entry: Entry = "closed",
    counting: Counting = "users",
    anchor: Anchor = "furthest",
    exclusions: Sequence[Exclusion] = (),
    entry_start: date | datetime | None = None,
    entry_end: date | datetime | None = None,
    breakdown: str | None = None,
    attribution: Attribution = "step1",
    top_n: int | None = 10,
) -> FunnelSpec:
    """Validate the options of :func:`analysis.funnels.funnel` into a :class:`FunnelSpec`.

    Steps may be event names, sequences of event names (any of them) or :class:`Step` objects. Dates are whole
    UTC days, inclusive (``entry_end`` of a date means up to the end of that day); datetimes are exact, end exclusive.

    Examples
    --------
    >>> spec = funnel_spec(["view_item", ["add_to_cart", "add_to_wishlist"], "purchase"])
    >>> spec.labels
    ['view_item', 'add_to_cart or add_to_wishlist', 'purchase']
    """
    parsed = tuple(_step(x, i) for i, x in enumerate(steps))
    _check_choice("mode", mode, MODES)
    _check_choice("entry", entry, ENTRIES)
    _check_choice("counting", counting, COUNTINGS)
    _check_choice("anchor", anchor, ANCHORS)
    _check_choice("attribution", attribution, ATTRIBUTIONS)
    if not parsed:
        raise AnalysisError("a funnel needs at least one step; got none")
    if window <= timedelta(0):
        raise AnalysisError(f"window must be positive; got {window}")
    if top_n is not None and top_n < 1:
        raise AnalysisError(f"top_n must be at least 1; got {top_n}")
    if parsed[0].optional or parsed[-1].optional:
        raise AnalysisError("the first and the last step cannot be optional")
    for i, st in enumerate(parsed):
        if st.within is not None and st.within <= timedelta(0):
            raise AnalysisError(f"step {i + 1} ({st.label}): 'within' must be positive; got {st.within}")
    excl = tuple(exclusions)
    for x in excl:
        before = x.before or len(parsed)
        if not x.events:
            raise AnalysisError("an exclusion needs at least one event")
        if not 1 <= x.after < before <= len(parsed):
            raise AnalysisError(f"exclusion {x.events}: steps must satisfy 1 <= after < before <= {len(parsed)}; "
                                f"got after={x.after}, before={before}")
        if parsed[x.after - 1].optional or parsed[before - 1].optional:
            raise AnalysisError(f"exclusion {x.events}: steps {x.after} and {before} must not be optional")
    if mode == "unordered" and (excl or any(st.within for st in parsed)):
        raise AnalysisError("unordered funnels take neither exclusions nor per-step limits ('within'); "
                            "use mode='ordered' or 'strict'")
    if counting == "totals" and (entry == "open" or mode == "unordered"):
        raise AnalysisError("counting='totals' needs a closed ordered or strict funnel")
    start, end = _bound(entry_start, end=False), _bound(entry_end, end=True)
    if start is not None and end is not None and end <= start:
        raise AnalysisError(f"entry range ends ({entry_end}) before it starts ({entry_start})")
    return FunnelSpec(parsed, window, mode, entry, counting, anchor, excl, start, end, breakdown, attribution, top_n)


def _step(x: StepLike, i: int) -> Step:
    if isinstance(x, Step):
        st = x
    elif isinstance(x, str):
        st = Step((x,))
    else:
        st = Step(tuple(x))
    if not st.events or not all(isinstance(e, str) and e for e in st.events):
        raise AnalysisError(f"step {i + 1} needs at least one non-empty event name; got {x!r}")
    return st


def _check_choice(name: str, value: str, valid: tuple[str, ...]) -> None:
    if value not in valid:
        raise AnalysisError(f"{name}={value!r} is not valid; choose one of {', '.join(valid)}")


def _bound(value: date | datetime | None, *, end: bool) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    day = value + timedelta(days=1) if end else value
    return datetime.combine(day, time.min, tzinfo=UTC)


def _fmt(d: timedelta) -> str:
    secs = int(d.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if secs % size == 0 and secs >= size:
            n = secs // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{secs} seconds"


def _describe_anchor(spec: FunnelSpec, anchor: str) -> str:
    if spec.counting == "totals":
        return "each attempt is anchored at the step-1 event that opens it"
    if spec.mode == "unordered":
        return ("every funnel event opens a window; the window covering the most steps counts" if spec.anchor ==
                "furthest" else "only the first funnel event in the date range opens the window")
    if spec.entry == "open":
        return anchor.replace("step-1 event", "step event") + "; a step counts when any attempt reaches it"
    return anchor


def _describe_range(start: datetime | None, end: datetime | None) -> str:
    lo = start.strftime("%Y-%m-%d %H:%M UTC") if start else "the first event"
    hi = f"before {end.strftime('%Y-%m-%d %H:%M UTC')}" if end else "the last event"
    return f"step 1 (entry) from {lo} to {hi}; later steps count up to the end of the window, even past the range"
