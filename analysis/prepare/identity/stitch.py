"""Identity stitching: give a device's anonymous events to the person who later identified on it.

The rule, per device (``anonymous_id``):

* an event that carries a ``user_id`` keeps it;
* an anonymous event goes to the user id **active on that device at that time**, i.e. the latest user id seen on the
  device before the event; events before the device's first login go to the **first** user id seen on it;
* a device never identified keeps its ``anonymous_id`` as the person (``user_id`` = ``anonymous_id``), so every row
  has a person afterwards.

A device seen with several user ids (a shared computer, a family tablet) is a *conflict*: the rule above still
applies, and :func:`stitch_stats` counts such devices and their events so the page can show them.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from analysis import schema as s


@dataclass(frozen=True)
class StitchStats:
    """How much stitching did: counts over the input events.

    ``stitch_rate`` is the share of anonymous events (no ``user_id``) that were attributed to a known user id;
    ``device_rate`` the share of devices with anonymous events that were identified at some point.
    """

    events: int
    anonymous_events: int
    stitched_events: int
    devices: int
    identified_devices: int
    conflict_devices: int
    conflict_events: int

    @property
    def stitch_rate(self) -> float:
        return self.stitched_events / self.anonymous_events if self.anonymous_events else 0.0

    @property
    def device_rate(self) -> float:
        return self.identified_devices / self.devices if self.devices else 0.0


def _columns(events: pl.DataFrame) -> tuple[pl.Expr, pl.Expr]:
    user = pl.col(s.USER_ID) if s.USER_ID in events.columns else pl.lit(None, pl.String)
    anon = pl.col(s.ANONYMOUS_ID) if s.ANONYMOUS_ID in events.columns else pl.lit(None, pl.String)
    return user, anon


def _device_table(events: pl.DataFrame) -> pl.DataFrame:
    """Per device: number of distinct user ids and the one to use when it has exactly one."""
    user, anon = _columns(events)
    return (
        events.lazy()
        .select(anon.alias("_anon"), user.alias("_user"))
        .filter(pl.col("_anon").is_not_null() & pl.col("_user").is_not_null())
        .group_by("_anon")
        .agg(pl.col("_user").n_unique().alias("_n_ids"), pl.col("_user").first().alias("_only_id"))
        .collect()
    )


def stitch_identities(events: pl.DataFrame) -> pl.DataFrame:
    """Resolve every event's person into ``user_id`` (see the module docstring for the rule).

    Returns a new frame with the same rows and columns (``user_id`` added if absent), in the input order.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = [datetime(2026, 1, d, tzinfo=timezone.utc) for d in (1, 2, 3)]
    >>> ev = pl.DataFrame({"user_id": [None, "u1", None], "anonymous_id": ["a1", "a1", "a2"],
    ...                    "timestamp": t, "event": ["page_view", "login", "page_view"]})
    >>> stitch_identities(ev)["user_id"].to_list()
    ['u1', 'u1', 'a2']
    """
    s.validate_events(events)
    out = stitched_users(events)
    columns = events.columns if s.USER_ID in events.columns else [s.USER_ID, *events.columns]
    return out.with_columns(pl.coalesce(s.USER_ID, _columns(events)[1]).alias(s.USER_ID)).select(columns)


def stitched_users(events: pl.DataFrame) -> pl.DataFrame:
    """``events`` with ``user_id`` set by the device rule, left null on devices never identified."""
    user, anon = _columns(events)
    if s.ANONYMOUS_ID not in events.columns:
        return events.with_columns(user.alias(s.USER_ID))
    devices = _device_table(events)
    conflicted = devices.filter(pl.col("_n_ids") > 1)["_anon"]
    single = devices.filter(pl.col("_n_ids") == 1).select("_anon", "_only_id")
    out = (
        events.with_columns(
            anon.alias("_anon"), user.alias("_given"), pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row")
        )
        .join(single, on="_anon", how="left", maintain_order="left")
        .with_columns(pl.coalesce("_given", "_only_id").alias(s.USER_ID))
    )
    if conflicted.len():
        # only the few conflicted devices need the time-ordered rule; the rest were resolved by the join
        fixed = (
            out.filter(pl.col("_anon").is_in(conflicted.implode()))
            .sort("_anon", s.TIMESTAMP, "_row")
            .with_columns(
                pl.col("_given").forward_fill().over("_anon").backward_fill().over("_anon").alias(s.USER_ID)
            )
            .select("_row", pl.col(s.USER_ID).alias("_fixed"))
        )
        out = out.join(fixed, on="_row", how="left", maintain_order="left").with_columns(
            pl.coalesce("_fixed", s.USER_ID).alias(s.USER_ID)
        ).drop("_fixed")
    columns = events.columns if s.USER_ID in events.columns else [s.USER_ID, *events.columns]
    return out.select(columns)


def stitch_stats(events: pl.DataFrame) -> StitchStats:
    """Count what :func:`stitch_identities` does to ``events`` (the raw, unstitched events).

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> t = [datetime(2026, 1, d, tzinfo=timezone.utc) for d in (1, 2, 3)]
    >>> ev = pl.DataFrame({"user_id": [None, "u1", None], "anonymous_id": ["a1", "a1", "a2"],
    ...                    "timestamp": t, "event": ["page_view", "login", "page_view"]})
    >>> st = stitch_stats(ev)
    >>> (st.stitched_events, st.anonymous_events, st.conflict_devices)
    (1, 2, 0)
    """
    s.validate_events(events)
    user, anon = _columns(events)
    devices = _device_table(events)
    flags = events.lazy().select(
        user.is_null().alias("anon_event"), anon.alias("_anon")
    ).join(devices.lazy(), on="_anon", how="left")
    row = flags.select(
        pl.len().alias("events"),
        pl.col("anon_event").sum().alias("anonymous_events"),
        (pl.col("anon_event") & pl.col("_n_ids").is_not_null()).sum().alias("stitched_events"),
        pl.col("_anon").filter(pl.col("anon_event")).n_unique().alias("devices"),
        pl.col("_anon").filter(pl.col("anon_event") & pl.col("_n_ids").is_not_null()).n_unique()
        .alias("identified_devices"),
        (pl.col("_n_ids") > 1).sum().alias("conflict_events"),
    ).collect().row(0, named=True)
    # a null anonymous_id is not a device
    null_anon = events.select((user.is_null() & anon.is_null()).any()).item()
    return StitchStats(
        events=int(row["events"]),
        anonymous_events=int(row["anonymous_events"]),
        stitched_events=int(row["stitched_events"]),
        devices=int(row["devices"]) - int(bool(null_anon)),
        identified_devices=int(row["identified_devices"]),
        conflict_devices=int(devices.filter(pl.col("_n_ids") > 1).height),
        conflict_events=int(row["conflict_events"] or 0),
    )
