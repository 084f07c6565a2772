"""The perf-anchors reference workload (shared/reference/perf-anchors: gen_events.py, build_paths.py).

Copied so that tests can rebuild the exact path tables whose ChannelAttribution / DP6 MAM results are recorded in
perf-anchors.md section 3, and compare our numbers with them.
"""

from __future__ import annotations

import numpy as np
import polars as pl

CHANNELS = ["Organic Search", "Paid Search", "Email", "Direct", "Paid Social", "Referral", "Display", "Affiliates"]
CHANNEL_P = np.array([0.28, 0.18, 0.10, 0.16, 0.12, 0.06, 0.06, 0.04])
CH_LAST = np.array([-0.2, 0.3, 0.4, 0.5, -0.6, 0.0, -1.2, 0.2])
CH_ASSIST = np.array([0.1, 0.2, 0.9, 0.0, 0.6, 0.4, 0.7, 0.1])
BASE_LOGIT = -3.0
FUNNEL = [
    "page_view",
    "view_item_list",
    "view_item",
    "select_item",
    "add_to_cart",
    "view_cart",
    "begin_checkout",
    "add_shipping_info",
    "add_payment_info",
    "purchase",
]
FILLER = [
    "search",
    "scroll",
    "click",
    "login",
    "logout",
    "signup",
    "share",
    "add_to_wishlist",
    "view_promotion",
    "remove_from_cart",
]
EVENTS = FUNNEL + FILLER
DAY_US = 86_400 * 1_000_000
T0 = np.datetime64("2024-01-01T00:00:00", "us").astype(np.int64)
GAP = pl.duration(minutes=30)


def generate(n_events: int, seed: int = 42) -> pl.DataFrame:
    """perf-anchors/gen_events.py, unchanged in behaviour (same seed, same events)."""
    rng = np.random.default_rng(seed)
    n_users = max(1, round(n_events / 9.76))
    n_sess_u = rng.geometric(0.45, n_users)
    n_sess = int(n_sess_u.sum())
    s_user = np.repeat(np.arange(n_users, dtype=np.int64), n_sess_u)
    home = rng.choice(8, size=n_users, p=CHANNEL_P)
    fresh = rng.choice(8, size=n_sess, p=CHANNEL_P)
    s_chan = np.where(rng.random(n_sess) < 0.5, home[s_user], fresh)
    s_start = T0 + (rng.random(n_sess) * (60 * DAY_US - 3_600_000_000)).astype(np.int64)
    sess = pl.DataFrame({"u": s_user, "start": s_start, "ch": s_chan.astype(np.int8)}).sort(["u", "start"])
    sess = sess.with_columns(
        [
            ((pl.col("ch") == c).cast(pl.Int32).cum_sum().over("u") - (pl.col("ch") == c).cast(pl.Int32) > 0).alias(
                f"t{c}"
            )
            for c in range(8)
        ]
    )
    ch = sess["ch"].to_numpy().astype(np.int64)
    s_idx = np.arange(len(ch))
    logit = BASE_LOGIT + CH_LAST[ch]
    for c in range(8):
        logit = logit + CH_ASSIST[c] * sess[f"t{c}"].to_numpy()
    p_conv = 1.0 / (1.0 + np.exp(-logit))
    conv = rng.random(len(ch)) < p_conv
    depth = np.where(conv, 10, np.minimum(rng.geometric(0.42, len(ch)), 9))
    n_fill = rng.poisson(1.5, len(ch))
    n_ev = depth + n_fill
    total = int(n_ev.sum())
    e_sess = np.repeat(s_idx, n_ev)
    offs = np.cumsum(n_ev) - n_ev
    j = np.arange(total) - np.repeat(offs, n_ev)
    d_rep = np.repeat(depth, n_ev)
    is_f = j < d_rep
    filler_code = rng.integers(0, len(FILLER), total) + len(FUNNEL)
    code = np.where(is_f, j, filler_code).astype(np.int8)
    key = np.where(is_f, j + rng.random(total) * 0.5, rng.random(total) * (d_rep + 0.5))
    gap = rng.exponential(45.0, total) * 1e6
    ev = pl.DataFrame({"s": e_sess, "key": key, "code": code, "gap": gap}).sort(["s", "key"])
    start = sess["start"].to_numpy()
    u = sess["u"].to_numpy()
    ev = ev.with_columns(off=pl.col("gap").cum_sum().over("s").cast(pl.Int64))
    s_arr = ev["s"].to_numpy()
    ts = start[s_arr] + ev["off"].to_numpy()
    codes = ev["code"].to_numpy()
    rev = np.where(codes == 9, np.round(rng.lognormal(4.0, 0.6, total), 2), np.nan)
    ev_names = pl.Series(EVENTS, dtype=pl.String)
    ch_names = pl.Series(CHANNELS, dtype=pl.String)
    out = (
        pl.DataFrame(
            {
                "uid": u[s_arr],
                "timestamp": ts,
                "code": codes,
                "ch": ch[s_arr].astype(np.int8),
                "revenue": rev,
            }
        )
        .with_columns(
            user_id=pl.format("u{}", pl.col("uid").cast(pl.String).str.zfill(7)),
            timestamp=pl.col("timestamp").cast(pl.Datetime("us", "UTC")),
            event=pl.col("code").cast(pl.Int64).map_batches(ev_names.gather, return_dtype=pl.String),
            channel=pl.col("ch").cast(pl.Int64).map_batches(ch_names.gather, return_dtype=pl.String),
            revenue=pl.col("revenue").fill_nan(None),
        )
        .select("user_id", "timestamp", "event", "channel", "revenue")
    )
    return out.sample(fraction=1.0, shuffle=True, seed=seed)


def build_paths(df: pl.DataFrame) -> pl.DataFrame:
    """perf-anchors/build_paths.py with our column names: path ("A > B"), conversions, nulls, value."""
    s = df.sort("user_id", "timestamp").with_columns(
        sid=(
            (pl.col("user_id") != pl.col("user_id").shift(1)).fill_null(True) | (pl.col("timestamp").diff() > GAP)
        ).cum_sum()
    )
    sess = s.group_by("sid").agg(
        user_id=pl.col("user_id").first(), start=pl.col("timestamp").first(), channel=pl.col("channel").first()
    )
    first_purchase = (
        s.filter(pl.col("event") == "purchase")
        .group_by("user_id")
        .agg(fp_sid=pl.col("sid").sort_by("timestamp").first(), value=pl.col("revenue").sort_by("timestamp").first())
    )
    users = (
        sess.join(first_purchase, on="user_id", how="left")
        .filter(pl.col("fp_sid").is_null() | (pl.col("sid") <= pl.col("fp_sid")))
        .sort("user_id", "sid")
        .group_by("user_id")
        .agg(
            path=pl.col("channel").str.join(" > "),
            conv=pl.col("fp_sid").is_not_null().first(),
            value=pl.col("value").first(),
        )
    )
    return (
        users.group_by("path")
        .agg(
            conversions=pl.col("conv").cast(pl.Int64).sum(),
            nulls=(~pl.col("conv")).cast(pl.Int64).sum(),
            value=pl.col("value").fill_null(0.0).sum(),
        )
        .sort("path")
    )


def reference_paths(n_events: int = 1_000_000) -> pl.DataFrame:
    """The perf-anchors path table (seed 42) with ``path`` as List[String]."""
    return build_paths(generate(n_events)).with_columns(path=pl.col("path").str.split(" > "))
