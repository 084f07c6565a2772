"""The interval auditor: how narrowly can someone pin a withheld number from everything published beside it?

Statistical offices audit a table before release the same way (tau-argus, "audit" step): every published
number and every total or derived figure is a linear constraint on the unknown (withheld) numbers; for each
withheld number, two linear programs find the smallest and largest value it can take given everything
published and non-negativity. The number is protected when that interval is wide enough:

- a **count of people** must stay uncertain over at least ``k`` possible counts (``high - low >= k - 1``): the
  recipient cannot tell which of k or more group sizes it is (a withheld 3 in [0, 9] when k = 10);
- a **money value** must stay uncertain by at least ``value_protection`` (default 50%) of itself on both sides
  (``low <= v * (1 - p)`` and ``high >= v * (1 + p)``), the symmetric protection interval of the p% rule.

The bounds are those of the linear relaxation (real numbers): an attacker who also uses integrality may narrow a
count a little further, as with tau-argus' own audit. ``scipy.optimize.linprog`` (HiGHS) solves each bound.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import polars as pl

from analysis.errors import AnalysisError

Kind = Literal["count", "value"]
Status = Literal["published", "withheld", "hidden"]
#: Default protection of withheld money values: unknown to within +-50% of themselves.
VALUE_PROTECTION = 0.5
_TOL = 1e-6

AUDIT_SCHEMA = {"cell": pl.String, "kind": pl.String, "value": pl.Float64, "low": pl.Float64,
                "high": pl.Float64, "ok": pl.Boolean}


@dataclass(frozen=True)
class Cell:
    """One number of an export: its true value, what the recipient knows of it and whether it is protected.

    ``status``: ``published`` (known exactly), ``withheld`` (unknown and protected) or ``hidden`` (unknown, not
    protected itself: an unpublished total that links tables). ``low``/``high`` are bounds the recipient knows
    anyway (a rounded rate gives ``floor <= x <= floor + k - 1``); every cell is at least 0.
    """

    name: str
    value: float
    status: Status = "published"
    kind: Kind = "count"
    low: float = 0.0
    high: float | None = None


@dataclass(frozen=True)
class Relation:
    """A linear fact the recipient knows: ``sum(coef * cell) == rhs`` (``sense="eq"``) or ``<= rhs`` ("le")."""

    terms: Mapping[str, float]
    sense: Literal["eq", "le"] = "eq"
    rhs: float = 0.0


def total(whole: str, parts: Sequence[str]) -> Relation:
    """``whole == sum(parts)`` (a published or derivable total)."""
    terms: dict[str, float] = {}
    for part in parts:
        terms[part] = terms.get(part, 0.0) + 1.0
    terms[whole] = terms.get(whole, 0.0) - 1.0
    return Relation(terms)


def at_most(small: str, big: str) -> Relation:
    """``small <= big`` (nested counts: a later funnel step, converters within a persona)."""
    return Relation({small: 1.0, big: -1.0}, "le")


def audit(cells: Sequence[Cell], relations: Sequence[Relation], *, min_group_size: int,
          value_protection: float = VALUE_PROTECTION) -> pl.DataFrame:
    """Bounds of every withheld cell over everything published, and whether each is protected.

    Returns one row per withheld cell: ``cell``, ``kind``, ``value`` (the true value, for the caller only),
    ``low``, ``high`` (the tightest interval the published numbers allow; ``high`` is null when unbounded) and
    ``ok``. Raises :class:`AnalysisError` when the relations contradict the true values (a wrong model).

    Examples
    --------
    A total of 20 and one published cell of 15: the two withheld cells (3 and 2) add up to 5, so each lies in
    [0, 5], fewer than k = 10 possible counts.

    >>> cells = [Cell("all", 20), Cell("a", 15), Cell("b", 3, "withheld"), Cell("c", 2, "withheld")]
    >>> audit(cells, [total("all", ["a", "b", "c"])], min_group_size=10).select("cell", "low", "high", "ok").rows()
    [('b', 0.0, 5.0, False), ('c', 0.0, 5.0, False)]
    """
    names = [c.name for c in cells]
    if len(set(names)) != len(names):
        raise AnalysisError("audit cells must have distinct names")
    by_name = {c.name: c for c in cells}
    unknown = [c for c in cells if c.status != "published"]
    withheld = [i for i, c in enumerate(unknown) if c.status == "withheld"]
    if not withheld:
        return pl.DataFrame(schema=AUDIT_SCHEMA)
    index = {c.name: i for i, c in enumerate(unknown)}
    a_eq: list[np.ndarray] = []
    a_ub: list[np.ndarray] = []
    b_eq: list[float] = []
    b_ub: list[float] = []
    for rel in relations:
        missing = [n for n in rel.terms if n not in by_name]
        if missing:
            raise AnalysisError(f"relation refers to unknown cell(s) {missing}")
        row = np.zeros(len(unknown))
        rhs = rel.rhs
        for name, coef in rel.terms.items():
            if name in index:
                row[index[name]] += coef
            else:
                rhs -= coef * by_name[name].value
        if not row.any():
            continue
        (a_eq if rel.sense == "eq" else a_ub).append(row)
        (b_eq if rel.sense == "eq" else b_ub).append(rhs)
    bounds = [(max(0.0, c.low), c.high) for c in unknown]
    problem = {"A_eq": np.array(a_eq) if a_eq else None, "b_eq": np.array(b_eq) if b_eq else None,
               "A_ub": np.array(a_ub) if a_ub else None, "b_ub": np.array(b_ub) if b_ub else None,
               "bounds": bounds, "method": "highs"}
    rows = []
    from scipy.optimize import linprog  # noqa: PLC0415 (SciPy only when auditing: ingest imports this package)

    for i in withheld:
        cell = unknown[i]
        objective = np.zeros(len(unknown))
        objective[i] = 1.0
        lo = linprog(objective, **problem)  # type: ignore[arg-type]
        hi = linprog(-objective, **problem)  # type: ignore[arg-type]
        if lo.status == 2 or hi.status == 2:
            raise AnalysisError(f"the audit's relations contradict the data at cell {cell.name!r}")
        low = float(lo.fun) if lo.status == 0 else 0.0
        high = float(-hi.fun) if hi.status == 0 else None
        rows.append((cell.name, cell.kind, float(cell.value), low, high,
                     _protected(cell, low, high, min_group_size, value_protection)))
    return pl.DataFrame(rows, schema=AUDIT_SCHEMA, orient="row")


def _protected(cell: Cell, low: float, high: float | None, k: int, p: float) -> bool:
    top = np.inf if high is None else high
    if cell.kind == "count":
        return count_protected(low, top, k)
    v = abs(cell.value)
    return low <= cell.value - p * v + _TOL and top >= cell.value + p * v - _TOL


def count_protected(low: float, high: float, k: int) -> bool:
    """Whether an interval of people leaves at least ``k`` possible counts (``high - low >= k - 1``)."""
    return high - low >= k - 1 - _TOL


def line_bounds(incidence: np.ndarray, withheld: np.ndarray, *, upper: np.ndarray | None = None,
                ) -> tuple[np.ndarray, np.ndarray]:
    """Low and high bound of each withheld cell of a table whose line totals are published.

    ``incidence`` is lines x withheld cells (0/1), ``withheld`` the cells' true values; the recipient knows each
    line's sum of withheld cells (total minus published cells) and that cells are >= 0 (and ``<= upper``).

    Examples
    --------
    >>> low, high = line_bounds(np.array([[1.0, 1.0]]), np.array([3.0, 9.0]))
    >>> low.tolist(), high.tolist()
    ([0.0, 0.0], [12.0, 12.0])
    """
    n = incidence.shape[1]
    b_eq = incidence @ withheld
    bounds = [(0.0, None if upper is None else float(upper[j])) for j in range(n)]
    low, high = np.zeros(n), np.full(n, np.inf)
    from scipy.optimize import linprog  # noqa: PLC0415 (as above)

    for j in range(n):
        objective = np.zeros(n)
        objective[j] = 1.0
        lo = linprog(objective, A_eq=incidence, b_eq=b_eq, bounds=bounds, method="highs")
        hi = linprog(-objective, A_eq=incidence, b_eq=b_eq, bounds=bounds, method="highs")
        low[j] = lo.fun if lo.status == 0 else 0.0
        high[j] = -hi.fun if hi.status == 0 else np.inf
    return low, high
