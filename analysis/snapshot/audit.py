"""The whole-snapshot audit: every withheld number against everything the snapshot publishes, across tables.

The published tables are linked by facts a recipient knows or can derive:

- personas: people = sum of persona sizes; a persona's converters = conversion rate x size and its revenue =
  revenue per person x size (when published; a rounded rate bounds the converters within k);
- funnel (per persona): step 0 is the persona's size, every step is at most the one before, and when the last
  step is a conversion event it is at most the persona's converters;
- attribution: in every model the credited conversions add up to the conversions and the credited values to
  the total value; the total value equals the personas' revenue summed, and the converters are at most the
  conversions (each added only when it holds in the data, i.e. when a recipient could rely on it);
- channels and paths are partitions of published persona sizes with nothing withheld, so they add no unknown.

:func:`audit_contents` runs :func:`analysis.privacy.audit` over that system with the true values; and
:func:`secure_contents` withholds further (the smallest published number sharing a fact with a failing one)
until the audit passes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import polars as pl

from analysis.errors import AnalysisError
from analysis.privacy import SUPPRESSED, Cell, Relation, SuppressionManifest, at_most, audit, total
from analysis.snapshot.contents import Contents, funnel_rates
from analysis.snapshot.people import PERSONA

_REL_TOL = 1e-9
SEP = "\x1f"  # joins the parts of a cell name; persona names may hold any printable character
FACT_PEOPLE, FACT_CONVERSIONS, FACT_VALUE = (SEP.join(("fact", n)) for n in ("people", "conversions", "value"))


def _name(*parts: object) -> str:
    return SEP.join(str(p) for p in parts)


@dataclass(frozen=True)
class Truth:
    """The true numbers behind the published tables (never published): per persona ``users``, ``converters``,
    ``revenue``; the funnel's true ``users`` per persona and step; the attribution totals; whether the funnel's
    last step is a conversion event."""

    personas: pl.DataFrame
    funnel: pl.DataFrame | None = None
    conversions: int = 0
    value: float = 0.0
    funnel_ends_in_conversion: bool = False


def _persona_cells(personas: pl.DataFrame, truth: Truth, k: int) -> tuple[list[Cell], list[Relation]]:
    true = truth.personas.join(personas.select(PERSONA, pl.col("users").alias("_pub"), "conversion_rate",
                                               "revenue_per_user", "share"), on=PERSONA, how="left")
    cells: list[Cell] = []
    relations: list[Relation] = []
    size_names = []
    for row in true.iter_rows(named=True):  # one row per persona: a handful
        p = row[PERSONA]
        users = _name("persona", p, "users")
        size_names.append(users)
        size_known = row["_pub"] is not None
        cells.append(Cell(users, row["users"], "published" if size_known else "withheld"))
        conv, rev = _name("persona", p, "converters"), _name("persona", p, "revenue")
        rate = row["conversion_rate"]
        if rate is None:
            cells.append(Cell(conv, row["converters"], "withheld"))
        else:
            shown = round(rate * row["_pub"])
            exact = shown == row["converters"]
            cells.append(Cell(conv, row["converters"], "published") if exact else
                         Cell(conv, row["converters"], "withheld", low=shown, high=shown + k - 1))
        cells.append(Cell(rev, row["revenue"], "published" if row["revenue_per_user"] is not None else "withheld",
                          "value"))
        relations += [at_most(conv, users)]
    people_known = bool(personas["share"].is_not_null().any())  # size / share gives the total away
    cells.append(Cell(FACT_PEOPLE, float(truth.personas["users"].sum()),
                      "published" if people_known else "hidden"))
    relations.append(total(FACT_PEOPLE, size_names))
    return cells, relations


def _funnel_cells(funnel: pl.DataFrame, truth: Truth) -> tuple[list[Cell], list[Relation]]:
    if truth.funnel is None or funnel.height == 0:
        return [], []
    joined = truth.funnel.join(funnel.select(PERSONA, "step", pl.col("users").alias("_pub")), on=[PERSONA, "step"],
                               how="inner").sort(PERSONA, "step")
    cells, relations = [], []
    last_step = int(joined["step"].max())  # type: ignore[arg-type]
    for row in joined.iter_rows(named=True):  # personas x steps: a few dozen
        p, step = row[PERSONA], row["step"]
        name = _name("funnel", p, step)
        if step == 0:
            relations.append(total(_name("persona", p, "users"), [name]))
        else:
            relations.append(at_most(name, _name("funnel", p, step - 1)))
        if step == last_step and truth.funnel_ends_in_conversion:
            relations.append(at_most(name, _name("persona", p, "converters")))
        cells.append(Cell(name, row["users"], "published" if row["_pub"] is not None else "withheld"))
    return cells, relations


def _attribution_cells(attribution: pl.DataFrame, truth: Truth, personas: pl.DataFrame,
                       ) -> tuple[list[Cell], list[Relation]]:
    if attribution.height == 0:
        return [], []
    cells = [Cell(FACT_CONVERSIONS, float(truth.conversions), "hidden"),
             Cell(FACT_VALUE, truth.value, "hidden", "value")]
    relations = []
    for model, part in attribution.group_by("model", maintain_order=True):
        conv_names, value_names = [], []
        for i, row in enumerate(part.iter_rows(named=True)):
            base = _name("attribution", model[0], i)
            cells += [Cell(base + SEP + "conversions", row["conversions"]),
                      Cell(base + SEP + "value", row["value"], kind="value")]
            conv_names.append(base + SEP + "conversions")
            value_names.append(base + SEP + "value")
        relations += [total(FACT_CONVERSIONS, conv_names), total(FACT_VALUE, value_names)]
    revenue = float(truth.personas["revenue"].sum())
    names = truth.personas[PERSONA].to_list()
    if abs(revenue - truth.value) <= _REL_TOL * max(1.0, abs(revenue)):
        relations.append(total(FACT_VALUE, [_name("persona", p, "revenue") for p in names]))
    if int(truth.personas["converters"].sum()) <= truth.conversions:
        relations.append(Relation({**{_name("persona", p, "converters"): 1.0 for p in names},
                                   FACT_CONVERSIONS: -1.0}, "le"))
    del personas
    return cells, relations


def _system(contents: Contents, truth: Truth) -> tuple[list[Cell], list[Relation]]:
    k = contents.manifest.min_group_size
    tables = contents.tables
    cells, relations = _persona_cells(tables["personas"], truth, k)
    if "funnel" in tables:
        more, rel = _funnel_cells(tables["funnel"], truth)
        cells += more
        relations += rel
    if "attribution" in tables:
        more, rel = _attribution_cells(tables["attribution"], truth, tables["personas"])
        cells += more
        relations += rel
    if contents.facts.get("total_conversions") is not None:
        cells = [replace(c, status="published") if c.name == FACT_CONVERSIONS else c for c in cells]
    return cells, relations


def audit_contents(contents: Contents, truth: Truth) -> pl.DataFrame:
    """The interval audit of a snapshot's contents: one row per withheld number (see :func:`analysis.privacy.audit`).

    The ``value`` column holds true numbers: it is for the caller's checks and must never be published.
    """
    cells, relations = _system(contents, truth)
    return audit(cells, relations, min_group_size=contents.manifest.min_group_size).with_columns(
        pl.col("cell").str.split(SEP).list.first().alias("table"))


def _withholdable(cell: Cell) -> bool:
    parts = cell.name.split(SEP)
    return cell.status == "published" and (
        parts[-1] in ("converters", "revenue") or cell.name == FACT_CONVERSIONS
        or (parts[0] == "funnel" and parts[-1] != "0"))


def _candidates(failing: str, contents: Contents, truth: Truth) -> list[str]:
    """Published numbers linked to ``failing`` by the published facts (nearest first, then smallest) that may be
    withheld: conversion rates, revenue per person, funnel steps, the conversions total."""
    cells, relations = _system(contents, truth)
    by_name = {c.name: c for c in cells}
    kind = by_name[failing].kind
    if by_name[failing].high is not None:  # a rounded conversion rate: withhold it outright first
        return [failing]
    seen, frontier, found = {failing}, {failing}, []
    for depth in range(4):  # facts link at most a few tables
        reached = {n for rel in relations if frontier & set(rel.terms) for n in rel.terms} - seen
        hits = [by_name[n] for n in reached if _withholdable(by_name[n]) and by_name[n].kind == kind]
        found += [(depth, c.value, c.name) for c in hits]
        if found:
            break
        seen |= reached
        frontier = reached
    return [name for _, _, name in sorted(found)]


def _withhold(contents: Contents, cell: str) -> Contents:
    parts = cell.split(SEP)
    tables = dict(contents.tables)
    facts = dict(contents.facts)
    personas = tables["personas"]
    if parts[0] == "fact":
        facts["total_conversions"] = None
    elif parts[-1] == "converters":
        tables["personas"] = personas.with_columns(pl.when(pl.col(PERSONA) == parts[1]).then(None)
                                                   .otherwise(pl.col("conversion_rate")).alias("conversion_rate"))
    elif parts[-1] == "revenue":
        tables["personas"] = personas.with_columns(pl.when(pl.col(PERSONA) == parts[1]).then(None)
                                                   .otherwise(pl.col("revenue_per_user")).alias("revenue_per_user"))
    elif parts[0] == "funnel":
        hit = (pl.col(PERSONA) == parts[1]) & (pl.col("step") == int(parts[2]))
        tables["funnel"] = funnel_rates(tables["funnel"].with_columns(
            pl.when(hit).then(None).otherwise(pl.col(c)).alias(c) for c in ("users", "median_hours_from_start"))
            .with_columns((pl.col(SUPPRESSED) | hit).alias(SUPPRESSED)))
    else:
        raise AnalysisError(f"the audit cannot withhold {cell!r}")
    what = {"converters": "conversion rate", "revenue": "revenue per person"}.get(parts[-1], "value")
    where = "total conversions" if parts[0] == "fact" else f"persona={parts[1]}" + (
        f", step={parts[2]}" if parts[0] == "funnel" else "")
    table = {"fact": "facts", "persona": "personas"}.get(parts[0], parts[0])
    manifest = contents.manifest.add(table, where, "derivable",
                                     f"{what} withheld so that a withheld number cannot be narrowed by the "
                                     "published ones (interval audit)")
    return Contents(tables, manifest, facts)


def secure_contents(contents: Contents, truth: Truth) -> tuple[Contents, pl.DataFrame]:
    """Withhold further until the audit passes; returns the contents and the final (passing) audit.

    Raises :class:`AnalysisError` when nothing more can be withheld and a number is still exposed.
    """
    done: set[str] = set()
    for _ in range(200):  # each pass withholds one more published number
        result = audit_contents(contents, truth)
        failing = result.filter(~pl.col("ok"))
        if failing.height == 0:
            return contents, result
        name = str(failing["cell"][0])
        options = [o for o in _candidates(name, contents, truth) if o not in done]
        if not options:
            table = name.split(SEP, maxsplit=1)[0]
            raise AnalysisError(f"the snapshot cannot be published safely: {table} numbers stay exposed whatever "
                                "else is withheld; raise k or leave that section out")
        done.add(options[0])
        contents = _withhold(contents, options[0])
    raise AnalysisError("the snapshot audit did not converge; leave a section out or raise k")


def audit_note(result: pl.DataFrame, manifest: SuppressionManifest) -> dict[str, object]:
    """What the snapshot says about its audit: how many withheld numbers, the narrowest interval in people."""
    counts = result.filter(pl.col("kind") == "count")
    widths = counts.select((pl.col("high").fill_null(float("inf")) - pl.col("low")).min()).item()
    return {"withheld_numbers_audited": result.height, "all_protected": bool(result["ok"].all()),
            "narrowest_count_interval": None if widths is None or widths == float("inf") else round(float(widths), 1),
            "min_group_size": manifest.min_group_size}
