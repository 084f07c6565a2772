"""Split events by person so that every analysis can run as a map over partitions and a merge of partials.

A partition must hold *all* events of every person it touches, including the anonymous events that identity
stitching will later give to a user. So events are not routed by the raw ``user_id`` (an anonymous-first visitor
has events without one) but by the **identity component**: user ids and anonymous ids linked by any event that
carries both form one component, labelled by its smallest user id (or the anonymous id of a device never
identified). Stitching never crosses components, so each person lands in exactly one partition.

The routing table holds one row per identified device (plus the rare users of shared devices), small next to the
events, and is built by a streaming scan of the two id columns.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from analysis import schema as s
from analysis.errors import AnalysisError

ROUTE = "_route"
PART = "_part"
ROW = "_row"
ENGINE_COLUMNS = (ROUTE, PART, ROW)
#: Marker file of a folder whose Parquet parts each hold whole persons (written by ``prepare_to_parquet``).
PERSON_PARTS = "_PERSON_PARTS"
_SEED = 20_260_901  # fixed: partition numbers must not change between runs
_MAX_ROUNDS = 1_000


def _id_columns(schema: pl.Schema) -> tuple[pl.Expr, pl.Expr]:
    user = pl.col(s.USER_ID) if s.USER_ID in schema else pl.lit(None, pl.String)
    anon = pl.col(s.ANONYMOUS_ID) if s.ANONYMOUS_ID in schema else pl.lit(None, pl.String)
    return user, anon


def identity_routes(events: pl.LazyFrame | pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The routing tables: ``(devices, users)``.

    ``devices`` maps every identified ``anonymous_id`` to its component label (``_route``); ``users`` maps the user
    ids whose label is not their own id (users linked through a shared device) to theirs. Labels are found by
    propagating the minimum over the device-user links until nothing changes (two rounds on typical data).

    Examples
    --------
    >>> ev = pl.DataFrame({"user_id": ["u2", None, "u1"], "anonymous_id": ["a1", "a1", "a1"]})
    >>> devices, users = identity_routes(ev)
    >>> devices.rows(), users.rows()
    ([('a1', 'u1')], [('u2', 'u1')])
    """
    lazy = events.lazy()
    user, anon = _id_columns(lazy.collect_schema())
    links = (
        lazy.select(anon.alias("_anon"), user.alias("_user"))
        .drop_nulls()
        .unique()
        .collect(engine="streaming")
    )
    labels = links.select("_user").unique().with_columns(pl.col("_user").alias(ROUTE))
    devices = pl.DataFrame(schema={"_anon": pl.String, ROUTE: pl.String})
    for _ in range(_MAX_ROUNDS):
        devices = links.join(labels, on="_user").group_by("_anon").agg(pl.col(ROUTE).min())
        new = links.join(devices, on="_anon").group_by("_user").agg(pl.col(ROUTE).min())
        changed = new.join(labels, on="_user", suffix="_old").filter(pl.col(ROUTE) != pl.col(f"{ROUTE}_old")).height
        labels = new
        if not changed:
            break
    else:
        raise AnalysisError(f"identity links did not settle in {_MAX_ROUNDS} rounds: a chain of more than "
                            f"{_MAX_ROUNDS} users sharing devices; check the user_id/anonymous_id columns")
    users = labels.filter(pl.col("_user") != pl.col(ROUTE)).sort("_user")
    return devices.sort("_anon").rename({"_anon": s.ANONYMOUS_ID}), users.rename({"_user": s.USER_ID})


def with_routes(
    events: pl.LazyFrame, routes: tuple[pl.DataFrame, pl.DataFrame], *, partitions: int
) -> pl.LazyFrame:
    """Add ``_route`` (the identity component) and ``_part`` (its hash partition, 0 .. partitions-1)."""
    if partitions < 1:
        raise AnalysisError(f"partitions must be at least 1, got {partitions}")
    devices, users = routes
    schema = events.collect_schema()
    user, anon = _id_columns(schema)
    out = events.with_columns(user.alias("_u"), anon.alias("_a"))
    out = out.join(devices.lazy().rename({s.ANONYMOUS_ID: "_a", ROUTE: "_dev"}), on="_a", how="left",
                   maintain_order="left")
    if users.height:
        out = out.join(users.lazy().rename({s.USER_ID: "_u", ROUTE: "_usr"}), on="_u", how="left",
                       maintain_order="left")
    else:
        out = out.with_columns(pl.lit(None, pl.String).alias("_usr"))
    route = pl.when(pl.col("_u").is_not_null()).then(pl.coalesce("_usr", "_u")).otherwise(pl.coalesce("_dev", "_a"))
    return out.with_columns(route.alias(ROUTE)).with_columns(
        (pl.col(ROUTE).hash(seed=_SEED) % partitions).cast(pl.Int32).alias(PART)
    ).drop("_u", "_a", "_dev", "_usr")


def partition_by_user(events: pl.DataFrame, n: int) -> list[pl.DataFrame]:
    """Split ``events`` into ``n`` frames by a hash of the person (identity component), rows in input order.

    Every event lands in exactly one frame and every person's events (anonymous ones included) in the same one.
    Frames may be empty. The columns are those of ``events``.

    Examples
    --------
    >>> ev = pl.DataFrame({"user_id": ["u1", None, "u2"], "anonymous_id": ["a1", "a1", "a2"], "event": ["x"] * 3})
    >>> parts = partition_by_user(ev, 4)
    >>> sum(p.height for p in parts), len(parts)
    (3, 4)
    """
    if s.USER_ID not in events.columns and s.ANONYMOUS_ID not in events.columns:
        raise AnalysisError(f"events need {s.USER_ID} or {s.ANONYMOUS_ID} to be split by person")
    routed = with_routes(events.lazy(), identity_routes(events), partitions=n).collect()
    groups = {key[0]: frame for key, frame in routed.partition_by(PART, as_dict=True, maintain_order=True).items()}
    empty = events.clear()
    return [groups[i].drop(ROUTE, PART) if i in groups else empty for i in range(n)]


def write_partitions(
    source: str | Path | pl.LazyFrame, out_dir: str | Path, *, partitions: int
) -> list[Path]:
    """Write ``source`` (Parquet file, folder or glob, or a lazy frame) as hash partitions by person.

    One streaming pass: each event gets its input position (``_row``, so ties keep the input order later) and its
    partition, and lands in ``out_dir/_part=<i>/``. Memory stays bounded by the routing table and Polars' streaming
    buffers. Returns the folder of every partition (missing folders are empty partitions).
    """
    lazy = scan_events(source) if not isinstance(source, pl.LazyFrame) else source
    routes = identity_routes(lazy)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with_routes(lazy.with_row_index(ROW), routes, partitions=partitions).drop(ROUTE).sink_parquet(
        pl.PartitionBy(out, key=PART, include_key=False), mkdir=True, engine="streaming"
    )
    return [out / f"{PART}={i}" for i in range(partitions)]


def person_parts(source: object) -> list[Path]:
    """The parts of a local folder that ``prepare_to_parquet`` wrote, each holding whole persons in person-then-time
    order, so an engine maps them as they are (no second identity pass, no rewrite); empty for any other source.

    Spark writes ``_part=<i>/`` folders, the embedded engine ``part-<i>.parquet`` files beside a
    :data:`PERSON_PARTS` marker; ``_part=<i>`` folders are person groups whoever wrote them.

    Examples
    --------
    >>> person_parts(pl.DataFrame())
    []
    """
    if isinstance(source, pl.DataFrame | pl.LazyFrame) or "://" in str(source):
        return []
    path = Path(str(source))
    if not path.is_dir():
        return []
    groups = sorted((g for g in path.glob(f"{PART}=*") if g.name.split("=", 1)[1].isdigit()),
                    key=lambda g: int(g.name.split("=", 1)[1]))
    if groups or not (path / PERSON_PARTS).exists():
        return groups
    return sorted(path.glob("part-*.parquet"))


def scan_events(source: str | Path) -> pl.LazyFrame:
    """Lazily scan a Parquet file, a folder of Parquet files (recursively, in name order) or a glob."""
    path = Path(source)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*.parquet"))
        if not files:
            raise AnalysisError(f"{path} holds no .parquet file")
        return pl.scan_parquet(files)
    if not path.exists() and not any(ch in str(source) for ch in "*?["):
        raise AnalysisError(f"{path} does not exist")
    return pl.scan_parquet(source)


def lazy_events(events: pl.DataFrame | pl.LazyFrame | str | Path) -> pl.LazyFrame:
    """``events`` as a lazy frame: a frame as it is, a path through :func:`scan_events` (file, folder or glob).

    Examples
    --------
    >>> lazy_events(pl.DataFrame({"event": ["a"]})).collect()["event"].to_list()
    ['a']
    """
    return scan_events(events) if isinstance(events, str | Path) else events.lazy()
