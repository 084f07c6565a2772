"""The shuffled peer workload: a seeded e-commerce event log in the canonical schema, rows in random order.

Usage: ``python -m benchmarks.peers.workload N_EVENTS OUT.parquet [SEED]`` (runs in either environment: numpy and
polars only).

The model is the one of the issue's reference run (shared/reference/perf-anchors.md), drawn in the same order from
the same seed, so the counts can be checked against that run:

* ``user_id`` (``u0000042``), ``timestamp`` (Datetime[us, UTC]), ``event`` (20 names), ``channel`` (8), ``revenue``
  (Float64 on ``purchase`` rows only); about 9.76 events per person;
* each person has 1 + Geometric(0.45) sessions placed uniformly over 60 days from 2024-01-01; a session's channel
  is the person's home channel half of the time, else a fresh draw;
* a session runs a prefix of the 10-step funnel (all ten when it converts) plus Poisson(1.5) filler events, about
  45 s apart;
* the session converts with a logistic probability in its channel plus assist effects of the channels the person
  touched in earlier sessions, so first touch, last touch and Markov attribution disagree;
* rows are shuffled, so every reader has to sort.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import polars as pl

CHANNELS = ("Organic Search", "Paid Search", "Email", "Direct", "Paid Social", "Referral", "Display", "Affiliates")
CHANNEL_SHARE = np.array([0.28, 0.18, 0.10, 0.16, 0.12, 0.06, 0.06, 0.04])
LAST_TOUCH_LOGIT = np.array([-0.2, 0.3, 0.4, 0.5, -0.6, 0.0, -1.2, 0.2])
ASSIST_LOGIT = np.array([0.1, 0.2, 0.9, 0.0, 0.6, 0.4, 0.7, 0.1])
BASE_LOGIT = -3.0
FUNNEL = ("page_view", "view_item_list", "view_item", "select_item", "add_to_cart", "view_cart", "begin_checkout",
          "add_shipping_info", "add_payment_info", "purchase")
FILLER = ("search", "scroll", "click", "login", "logout", "signup", "share", "add_to_wishlist", "view_promotion",
          "remove_from_cart")
FUNNEL_3 = ("page_view", "add_to_cart", "purchase")
CONVERSION = "purchase"
DAY_US = 86_400 * 1_000_000
START_US = int(np.datetime64("2024-01-01T00:00:00", "us").astype(np.int64))
EVENTS_PER_PERSON = 9.76


def _sessions(rng: np.random.Generator, n_people: int) -> pl.DataFrame:
    """One row per session: person ``u``, ``start`` (epoch us), channel ``ch`` and whether it converts."""
    per_person = rng.geometric(0.45, n_people)
    person = np.repeat(np.arange(n_people, dtype=np.int64), per_person)
    home = rng.choice(8, size=n_people, p=CHANNEL_SHARE)
    fresh = rng.choice(8, size=person.size, p=CHANNEL_SHARE)
    channel = np.where(rng.random(person.size) < 0.5, home[person], fresh)
    start = START_US + (rng.random(person.size) * (60 * DAY_US - 3_600_000_000)).astype(np.int64)
    sess = pl.DataFrame({"u": person, "start": start, "ch": channel.astype(np.int8)}).sort(["u", "start"])
    # did the person touch channel c in an earlier session? (count so far minus this session's own touch)
    touched = [(pl.col("ch") == c).cast(pl.Int32) for c in range(8)]
    sess = sess.with_columns([(t.cum_sum().over("u") - t > 0).alias(f"a{c}") for c, t in enumerate(touched)])
    ch = sess["ch"].to_numpy().astype(np.int64)
    logit = BASE_LOGIT + LAST_TOUCH_LOGIT[ch]
    for c in range(8):  # one vectorised pass per channel, added in the reference run's order
        logit = logit + ASSIST_LOGIT[c] * sess[f"a{c}"].to_numpy()
    converts = rng.random(ch.size) < 1.0 / (1.0 + np.exp(-logit))
    return sess.select("u", "start", "ch").with_columns(pl.Series("conv", converts))


def generate(n_events: int, *, seed: int = 42) -> pl.DataFrame:
    """About ``n_events`` events of the model above, rows shuffled (same seed, same frame)."""
    rng = np.random.default_rng(seed)
    sess = _sessions(rng, max(1, round(n_events / EVENTS_PER_PERSON)))
    conv = sess["conv"].to_numpy()
    depth = np.where(conv, 10, np.minimum(rng.geometric(0.42, conv.size), 9))
    n_ev = depth + rng.poisson(1.5, conv.size)
    total = int(n_ev.sum())
    session = np.repeat(np.arange(conv.size), n_ev)
    j = np.arange(total) - np.repeat(np.cumsum(n_ev) - n_ev, n_ev)  # index of the event inside its session
    d = np.repeat(depth, n_ev)
    in_funnel = j < d
    filler = rng.integers(0, len(FILLER), total) + len(FUNNEL)
    code = np.where(in_funnel, j, filler).astype(np.int8)
    # funnel steps keep their order; filler events fall anywhere among them
    order_key = np.where(in_funnel, j + rng.random(total) * 0.5, rng.random(total) * (d + 0.5))
    gap_us = rng.exponential(45.0, total) * 1e6
    ev = (pl.DataFrame({"s": session, "key": order_key, "code": code, "gap": gap_us}).sort(["s", "key"])
          .with_columns(off=pl.col("gap").cum_sum().over("s").cast(pl.Int64)))
    s_idx = ev["s"].to_numpy()
    codes = ev["code"].to_numpy()
    revenue = np.where(codes == len(FUNNEL) - 1, np.round(rng.lognormal(4.0, 0.6, total), 2), np.nan)
    names = pl.Series(FUNNEL + FILLER, dtype=pl.String)
    channels = pl.Series(CHANNELS, dtype=pl.String)
    out = pl.DataFrame({
        "uid": sess["u"].to_numpy()[s_idx],
        "ts": sess["start"].to_numpy()[s_idx] + ev["off"].to_numpy(),
        "code": codes.astype(np.int64),
        "ch": sess["ch"].to_numpy()[s_idx].astype(np.int64),
        "revenue": revenue,
    }).select(
        user_id=pl.format("u{}", pl.col("uid").cast(pl.String).str.zfill(7)),
        timestamp=pl.col("ts").cast(pl.Datetime("us", "UTC")),
        event=names.gather(pl.Series(codes.astype(np.int64))),
        channel=channels.gather(pl.Series(sess["ch"].to_numpy()[s_idx].astype(np.int64))),
        revenue=pl.col("revenue").fill_nan(None),
    )
    return out.sample(fraction=1.0, shuffle=True, seed=seed)


def main() -> None:
    n, path = int(sys.argv[1]), sys.argv[2]
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 42
    start = time.perf_counter()
    df = generate(n, seed=seed)
    df.write_parquet(path)
    print(f"{df.height:,} events, {df['user_id'].n_unique():,} people, "
          f"{int((df['event'] == CONVERSION).sum()):,} purchases, {time.perf_counter() - start:.1f} s -> {path}")


if __name__ == "__main__":
    main()
