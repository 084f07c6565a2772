"""Seeded generator of realistic multi-channel event data with planted truth.

The bundled sample (``sample_data/events.parquet``) and the benchmark inputs come from here. Everything is vectorised
with numpy and Polars (no Python loop over users or events), so it scales from 10k to 100M events; large sizes are
written in chunks of users (:func:`write_sample_parquet`).

What is planted, and what each analysis should recover from it:

* **Personas** (:data:`PERSONAS`): four behavioural groups with distinct event mixes, channel preferences, devices,
  session counts, conversion propensity and basket size.
* **Channels** (:data:`CHANNELS`, GA4 default channel group names): each session arrives through one channel, with
  source / medium / campaign / referrer that GA4's rules map back to that channel. Touching a channel raises the
  log-odds of purchase by :data:`CHANNEL_EFFECTS` (once per channel touched, whatever the persona).
* **Funnel** ``view_item > add_to_cart > begin_checkout > purchase`` (:data:`FUNNEL_STEPS`): non-buyers drop out with
  fixed shares per step, so ``add_to_cart -> begin_checkout`` is the planted worst step (:data:`WORST_STEP`).
* **Identity**: every event carries the device's ``anonymous_id``; ``user_id`` is known from a ``login`` event on for
  users who first browse anonymously, and never for a share of users who never log in.
* **Revenue** on ``purchase`` events (log-normal, persona-dependent). At most one purchase per user.

Acquisition fields and ``channel`` repeat on every event of a session; sessions of one user are separated by at least
one hour, events within a session by at most 20 minutes, so a 30-minute inactivity gap recovers them exactly.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

from analysis import schema as s

SAMPLE_PATH = Path(__file__).resolve().parents[2] / "sample_data" / "events.parquet"
SAMPLE_USERS = 20_000
SAMPLE_SEED = 7
START = datetime(2026, 9, 1, tzinfo=UTC)
DAYS = 60

CHANNELS = (
    "Organic Search",
    "Paid Search",
    "Direct",
    "Email",
    "Paid Social",
    "Organic Social",
    "Referral",
    "Display",
)
#: Log-odds lift of purchase for a user who touched the channel at least once.
CHANNEL_EFFECTS = {
    "Organic Search": 0.45,
    "Paid Search": 1.10,
    "Direct": 0.10,
    "Email": 0.60,
    "Paid Social": 0.30,
    "Organic Social": 0.05,
    "Referral": 0.40,
    "Display": 0.15,
}
STRONGEST_CHANNEL = max(CHANNEL_EFFECTS, key=CHANNEL_EFFECTS.__getitem__)

#: (source, medium, campaign, referrer) options per channel; GA4's default rules map each back to its channel.
_TRAFFIC: dict[str, list[tuple[str, str, str | None, str | None]]] = {
    "Organic Search": [("google", "organic", None, "https://www.google.com/"),
                       ("bing", "organic", None, "https://www.bing.com/")],
    "Paid Search": [("google", "cpc", "brand_search", None), ("google", "cpc", "generic_shoes", None),
                    ("bing", "cpc", "generic_shoes", None)],
    "Direct": [("(direct)", "(none)", None, None)],
    "Email": [("newsletter", "email", "weekly_digest", None), ("newsletter", "email", "winback", None)],
    "Paid Social": [("facebook", "paid_social", "autumn_sale", None),
                    ("instagram", "paid_social", "autumn_sale", None)],
    "Organic Social": [("instagram", "social", None, "https://www.instagram.com/"),
                       ("tiktok", "social", None, "https://www.tiktok.com/")],
    "Referral": [("styleblog.example", "referral", None, "https://styleblog.example/best-sneakers"),
                 ("deals.example", "referral", None, "https://deals.example/shoes")],
    "Display": [("criteo", "display", "retarget_q4", None), ("adroll", "display", "prospecting", None)],
}

FUNNEL_STEPS = ("view_item", "add_to_cart", "begin_checkout", "purchase")
WORST_STEP = ("add_to_cart", "begin_checkout")
#: Where a non-buyer stops: after view_item, add_to_cart or begin_checkout (shares sum to 1).
_DROP_AFTER = np.array([0.50, 0.40, 0.10])

BROWSE_EVENTS = (
    "page_view", "search", "view_item_list", "select_item", "view_promotion", "select_promotion",
    "add_to_wishlist", "scroll", "view_cart", "share", "file_download", "remove_from_cart",
)


@dataclass(frozen=True)
class Persona:
    """A planted behavioural group."""

    name: str
    share: float
    event_mix: dict[str, float]
    channel_mix: dict[str, float]
    device_mix: dict[str, float]
    sessions_mean: float
    events_per_session: float
    conversion_logit: float
    basket_mean: float


PERSONAS = (
    Persona(
        "Deal hunters", 0.30,
        {"view_promotion": 5, "select_promotion": 3, "search": 3, "page_view": 2, "view_item_list": 2,
         "add_to_wishlist": 1},
        {"Paid Search": 5, "Email": 2, "Display": 1, "Direct": 1, "Organic Search": 1},
        {"desktop": 0.6, "mobile": 0.35, "tablet": 0.05},
        2.5, 5.0, -2.4, 45.0,
    ),
    Persona(
        "Researchers", 0.25,
        {"page_view": 4, "view_item_list": 4, "select_item": 3, "search": 2, "file_download": 1, "scroll": 1},
        {"Organic Search": 4, "Referral": 3, "Paid Search": 2, "Direct": 1},
        {"desktop": 0.8, "mobile": 0.15, "tablet": 0.05},
        4.0, 8.0, -2.8, 120.0,
    ),
    Persona(
        "Loyal regulars", 0.20,
        {"page_view": 2, "view_cart": 2, "add_to_wishlist": 1, "search": 1},
        {"Direct": 5, "Email": 3, "Organic Search": 1, "Paid Search": 1},
        {"desktop": 0.5, "mobile": 0.45, "tablet": 0.05},
        1.8, 3.0, -1.2, 80.0,
    ),
    Persona(
        "Social scrollers", 0.25,
        {"scroll": 5, "page_view": 3, "share": 2, "view_promotion": 1},
        {"Paid Social": 4, "Organic Social": 4, "Display": 2},
        {"desktop": 0.1, "mobile": 0.85, "tablet": 0.05},
        1.6, 4.0, -3.0, 35.0,
    ),
)
PERSONA_NAMES = tuple(p.name for p in PERSONAS)
DEVICES = ("desktop", "mobile", "tablet")
COUNTRIES = ("DE", "AT", "CH", "NL", "FR")
_COUNTRY_P = np.array([0.55, 0.15, 0.12, 0.1, 0.08])
ANONYMOUS_FIRST_SHARE = 0.30  # browse anonymously, log in later
NEVER_IDENTIFIED_SHARE = 0.10  # never log in


@dataclass(frozen=True)
class SampleTruth:
    """What the generator planted; tests check that each analysis recovers it."""

    users: pl.DataFrame
    channel_effects: dict[str, float] = field(default_factory=lambda: dict(CHANNEL_EFFECTS))
    strongest_channel: str = STRONGEST_CHANNEL
    funnel_steps: tuple[str, ...] = FUNNEL_STEPS
    worst_step: tuple[str, str] = WORST_STEP
    personas: tuple[str, ...] = PERSONA_NAMES


@dataclass(frozen=True)
class Sample:
    """Generated events in the canonical schema and the truth planted in them."""

    events: pl.DataFrame
    truth: SampleTruth


def generate_sample(n_users: int = SAMPLE_USERS, *, seed: int = SAMPLE_SEED, first_user: int = 0) -> Sample:
    """Generate ``n_users`` users' events (about 30 per user) with planted truth.

    ``first_user`` offsets the ids so that chunks of one big dataset never share a user.

    Examples
    --------
    >>> sample = generate_sample(200, seed=1)
    >>> sample.events.columns[:4]
    ['user_id', 'anonymous_id', 'timestamp', 'event']
    >>> sorted(sample.truth.users["persona"].unique().to_list())[0]
    'Deal hunters'
    """
    rng = np.random.default_rng([seed, first_user])
    users = _draw_users(rng, n_users, first_user)
    sessions = _draw_sessions(rng, users)
    users = _draw_outcomes(rng, users, sessions)
    events = _draw_events(rng, users, sessions)
    truth_users = pl.DataFrame(
        {
            "person": users["person"],
            "user_id": users["user_id"],
            "anonymous_id": users["anonymous_id"],
            "persona": np.array(PERSONA_NAMES)[users["persona"]],
            "device": np.array(DEVICES)[users["device"]],
            "identity": np.array(["known", "anonymous_first", "never_identified"])[users["identity"]],
            "sessions": users["n_sessions"],
            "funnel_stage": users["stage"],
            "converted": users["stage"] == len(FUNNEL_STEPS),
            "revenue": np.where(users["stage"] == len(FUNNEL_STEPS), users["revenue"], 0.0),
        }
    ).with_columns(pl.col("user_id").replace("", None))
    return Sample(events=events, truth=SampleTruth(users=truth_users))


def iter_sample_chunks(n_users: int, *, seed: int = SAMPLE_SEED, chunk_users: int = 200_000) -> Iterator[Sample]:
    """Yield :func:`generate_sample` chunks that together hold ``n_users`` distinct users."""
    for first in range(0, n_users, chunk_users):
        yield generate_sample(min(chunk_users, n_users - first), seed=seed, first_user=first)


def write_sample_parquet(
    path: str | Path, n_users: int, *, seed: int = SAMPLE_SEED, chunk_users: int = 200_000
) -> int:
    """Write ``n_users`` users' events to ``path`` (a file, or a folder of part files when chunked); return rows.

    Memory stays bounded by one chunk, so 100M events can be written on a small machine.
    """
    path = Path(path)
    if n_users <= chunk_users:
        events = generate_sample(n_users, seed=seed).events
        path.parent.mkdir(parents=True, exist_ok=True)
        events.write_parquet(path, compression="zstd", statistics=True)
        return events.height
    path.mkdir(parents=True, exist_ok=True)
    rows = 0
    for i, chunk in enumerate(iter_sample_chunks(n_users, seed=seed, chunk_users=chunk_users)):
        chunk.events.write_parquet(path / f"part-{i:05d}.parquet", compression="zstd")
        rows += chunk.events.height
    return rows


def load_sample() -> pl.DataFrame:
    """The bundled sample's events (``sample_data/events.parquet``), regenerated if the file is missing."""
    if not SAMPLE_PATH.exists():
        write_sample_parquet(SAMPLE_PATH, SAMPLE_USERS, seed=SAMPLE_SEED)
    return pl.read_parquet(SAMPLE_PATH)


# --- the draws, each vectorised over users, sessions or events --------------------------------------------------

def _categorical(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Draw one category per row from ``probs[rows]`` (a row-stochastic table)."""
    cum = np.cumsum(probs, axis=1)[rows]
    u = rng.random(len(rows))[:, None] * cum[:, -1:]
    drawn: np.ndarray = (u > cum).sum(axis=1)
    return drawn


def _mix_table(mixes: list[dict[str, float]], names: tuple[str, ...]) -> np.ndarray:
    table = np.array([[m.get(n, 0.0) for n in names] for m in mixes], dtype=float)
    normalised: np.ndarray = table / table.sum(axis=1, keepdims=True)
    return normalised


def _draw_users(rng: np.random.Generator, n: int, first: int) -> dict[str, np.ndarray]:
    persona = rng.choice(len(PERSONAS), size=n, p=[p.share for p in PERSONAS])
    device = _categorical(rng, _mix_table([p.device_mix for p in PERSONAS], DEVICES), persona)
    means = np.array([p.sessions_mean for p in PERSONAS])[persona]
    n_sessions = 1 + rng.poisson(means - 1)
    identity = rng.choice(3, size=n, p=[1 - ANONYMOUS_FIRST_SHARE - NEVER_IDENTIFIED_SHARE,
                                        ANONYMOUS_FIRST_SHARE, NEVER_IDENTIFIED_SHARE])
    person = np.arange(first, first + n)
    ids = pl.Series(person).cast(pl.String).str.zfill(8)
    user_id = ("u" + ids).to_numpy().astype(object)
    user_id[identity == 2] = ""
    anon = pl.Series(person * 2654435761 % 2**32).cast(pl.String).str.zfill(10)
    return {
        "person": person,
        "persona": persona,
        "device": device,
        "n_sessions": n_sessions,
        "identity": identity,
        "user_id": user_id,
        "anonymous_id": ("a" + anon).to_numpy().astype(object),
        "country": rng.choice(len(COUNTRIES), size=n, p=_COUNTRY_P),
    }


def _draw_sessions(rng: np.random.Generator, users: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    n_users = len(users["persona"])
    user = np.repeat(np.arange(n_users), users["n_sessions"])
    first = np.concatenate([[0], np.cumsum(users["n_sessions"])[:-1]])
    index = np.arange(len(user)) - first[user]
    persona = users["persona"][user]
    channel = _categorical(rng, _mix_table([p.channel_mix for p in PERSONAS], CHANNELS), persona)
    n_browse = 1 + rng.poisson(np.array([p.events_per_session for p in PERSONAS])[persona] - 1)
    # inside a session: exponential gaps (mean 50 s, at most 20 min) after the landing event
    gap = np.minimum(rng.exponential(50.0, size=int(n_browse.sum())), 1200.0)
    event_first = np.concatenate([[0], np.cumsum(n_browse)[:-1]])
    gap[event_first] = 0.0
    csum = np.cumsum(gap)
    offset = csum - np.repeat(csum[event_first], n_browse)
    browse_end = offset[event_first + n_browse - 1]
    duration = browse_end + 40.0 * (len(FUNNEL_STEPS) + 1)
    # between sessions: the previous session's length plus 1 h plus exponential (mean 1.5 days)
    pause = np.where(index == 0, 0.0, np.roll(duration, 1) + 3600 + rng.exponential(1.5 * 86400, len(user)))
    cum = np.cumsum(pause)
    since_first = cum - np.repeat(cum[first], users["n_sessions"])
    span = since_first[first + users["n_sessions"] - 1] + duration[first + users["n_sessions"] - 1]
    user_start = rng.random(n_users) * np.maximum(DAYS * 86400 - span, 0)
    return {"user": user, "index": index, "channel": channel, "start_s": user_start[user] + since_first,
            "n_browse": n_browse, "event_offset": offset, "browse_end": browse_end}


def _draw_outcomes(
    rng: np.random.Generator, users: dict[str, np.ndarray], sessions: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    n_users = len(users["persona"])
    touched = np.zeros(n_users * len(CHANNELS), dtype=bool)
    touched[sessions["user"] * len(CHANNELS) + sessions["channel"]] = True
    effects = np.array([CHANNEL_EFFECTS[c] for c in CHANNELS])
    logit = np.array([p.conversion_logit for p in PERSONAS])[users["persona"]]
    logit = logit + touched.reshape(n_users, len(CHANNELS)) @ effects
    converted = rng.random(n_users) < 1 / (1 + np.exp(-logit))
    drop = 1 + rng.choice(3, size=n_users, p=_DROP_AFTER)  # 1 = stopped after view_item
    stage = np.where(converted, len(FUNNEL_STEPS), drop)
    basket = np.array([p.basket_mean for p in PERSONAS])[users["persona"]]
    revenue = np.round(basket * rng.lognormal(-0.18, 0.6, size=n_users), 2)
    return {**users, "stage": stage, "revenue": revenue}


def _draw_events(
    rng: np.random.Generator, users: dict[str, np.ndarray], sessions: dict[str, np.ndarray]
) -> pl.DataFrame:
    n_users = len(users["persona"])
    b_session = np.repeat(np.arange(len(sessions["user"])), sessions["n_browse"])
    mix = _mix_table([p.event_mix for p in PERSONAS], BROWSE_EVENTS)
    b_event = _categorical(rng, mix, users["persona"][sessions["user"][b_session]])

    # funnel steps at the end of their session, 40 s apart: view_item in the first session, add_to_cart in a
    # random one, begin_checkout and purchase in the last
    first_session = np.concatenate([[0], np.cumsum(users["n_sessions"])[:-1]])
    last_session = first_session + users["n_sessions"] - 1
    cart_session = first_session + (rng.random(n_users) * users["n_sessions"]).astype(int)
    step_session = np.stack([first_session, cart_session, last_session, last_session])
    reached = np.arange(len(FUNNEL_STEPS))[None, :] < users["stage"][:, None]
    f_user, f_step = np.nonzero(reached)
    f_session = step_session[f_step, f_user]
    f_offset = sessions["browse_end"][f_session] + 40.0 * (1 + f_step)

    # anonymous-first users with more than one session log in at the start of a later session
    login_user = np.nonzero((users["identity"] == 1) & (users["n_sessions"] > 1))[0]
    login_index = 1 + (rng.random(len(login_user)) * (users["n_sessions"][login_user] - 1)).astype(int)
    login_session = first_session[login_user] + login_index
    identified_from = np.where(users["identity"] == 0, 0, np.iinfo(np.int64).max)
    identified_from[login_user] = login_index

    session_of = np.concatenate([b_session, f_session, login_session])
    user = sessions["user"][session_of]
    offset_s = np.concatenate([sessions["event_offset"], f_offset, np.zeros(len(login_session))])
    start_us = int(START.timestamp() * 1_000_000)
    ts_us = start_us + np.round((sessions["start_s"][session_of] + offset_s) * 1e6).astype(np.int64)
    known = sessions["index"][session_of] >= identified_from[user]
    name = np.concatenate([np.array(BROWSE_EVENTS)[b_event], np.array(FUNNEL_STEPS)[f_step],
                           np.full(len(login_session), "login")])
    traffic = _traffic_table(rng, sessions["channel"])
    frame = pl.DataFrame(
        {
            s.USER_ID: _strings(np.asarray(np.where(known, users["user_id"][user], None), dtype=object)),
            s.ANONYMOUS_ID: users["anonymous_id"][user],
            s.TIMESTAMP: pl.Series(ts_us).cast(s.TIMESTAMP_DTYPE),
            s.EVENT: name,
            s.SOURCE: _strings(traffic["source"][session_of]),
            s.MEDIUM: _strings(traffic["medium"][session_of]),
            s.CAMPAIGN: _strings(traffic["campaign"][session_of]),
            s.REFERRER: _strings(traffic["referrer"][session_of]),
            s.CHANNEL: np.array(CHANNELS)[sessions["channel"][session_of]],
            s.REVENUE: pl.Series(np.where(name == "purchase", users["revenue"][user], np.nan)).fill_nan(None),
            "device": np.array(DEVICES)[users["device"][user]],
            "country": np.array(COUNTRIES)[users["country"][user]],
            "_person": users["person"][user],
            # login first, then browsing, then funnel steps in order, when timestamps tie
            "_order": np.concatenate([np.zeros(len(b_session)), 1 + f_step, np.full(len(login_session), -1)]),
        },
        strict=False,
    )
    return (
        frame.sort("_person", s.TIMESTAMP, "_order", maintain_order=True)
        .with_columns(event_id=pl.format("e{}-{}", "_person", pl.int_range(pl.len()).over("_person")))
        .drop("_person", "_order")
    )


def _strings(values: np.ndarray) -> pl.Series:
    """A String series from an object array that may hold None."""
    return pl.Series(values.tolist(), dtype=pl.String)


def _traffic_table(rng: np.random.Generator, channel: np.ndarray) -> dict[str, np.ndarray]:
    """Per session: source, medium, campaign and referrer consistent with the session's channel."""
    out = {k: np.empty(len(channel), dtype=object) for k in ("source", "medium", "campaign", "referrer")}
    pick = rng.random(len(channel))
    for c, name in enumerate(CHANNELS):  # 8 channels, each a vectorised assignment
        rows = np.nonzero(channel == c)[0]
        options = _TRAFFIC[name]
        choice = (pick[rows] * len(options)).astype(int)
        for k, key in enumerate(("source", "medium", "campaign", "referrer")):
            out[key][rows] = np.array([o[k] for o in options], dtype=object)[choice]
    return out
