"""Differential privacy for published counts and sums, with OpenDP's Laplace mechanism (no home-made noise).

A release is epsilon-differentially private *per person* when adding or removing any one person changes the
probability of every possible output by a factor of at most e^epsilon. For a vector of counts in which one
person adds at most ``sensitivity`` in total (1 for a partition such as persona sizes; the number of steps for
a funnel), OpenDP's ``make_laplace`` over ``l1_distance`` adds noise of the scale that makes the vector
epsilon-DP; for sums, each person's contribution must be bounded first (``bound``: clamp it before summing).
Budgets add up over releases: :func:`split_budget` shares one epsilon between them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from types import ModuleType
from typing import Any

from analysis.errors import AnalysisError

#: What the noise mode protects, written into every noisy snapshot.
PROTECTS = ("whether any one person is in the data at all: every published count and sum changes its "
            "probability by at most a factor of e^epsilon when one person is added or removed")


@dataclass(frozen=True)
class NoiseSettings:
    """The noise mode: total ``epsilon`` for the whole snapshot and the per-person revenue ``value_cap``.

    Revenue above the cap counts as the cap (so one big spender cannot dominate a sum); a smaller epsilon means
    more noise and more protection. Typical: epsilon between 0.5 and 2.
    """

    epsilon: float = 1.0
    value_cap: float = 500.0

    def __post_init__(self) -> None:
        if not 0 < self.epsilon <= 20:
            raise AnalysisError(f"epsilon={self.epsilon} is invalid; use a number above 0 and at most 20 (e.g. 1)")
        if not self.value_cap > 0:
            raise AnalysisError(f"value_cap={self.value_cap} is invalid; use a positive amount per person")


def _opendp() -> ModuleType:
    """OpenDP, imported on first use (it takes seconds to load and only the noise mode needs it)."""
    import opendp.prelude as dp  # noqa: PLC0415 - deferred on purpose

    dp.enable_features("contrib")  # the Laplace mechanism is in OpenDP's "contrib" set
    return dp


def _laplace(space: Any, d_in: float, epsilon: float) -> Any:
    dp = _opendp()
    return dp.binary_search_chain(lambda s: dp.m.make_laplace(*space, scale=s), d_in=d_in, d_out=float(epsilon))


def opendp_version() -> str:
    """The installed OpenDP version (recorded in noisy snapshots)."""
    return metadata.version("opendp")


def split_budget(epsilon: float, parts: int) -> float:
    """Sequential composition: ``parts`` releases of ``epsilon / parts`` each spend ``epsilon`` in all."""
    if parts < 1:
        raise AnalysisError(f"parts={parts}: a budget is split over at least one release")
    return epsilon / parts


def noisy_counts(values: Sequence[int], *, epsilon: float, sensitivity: int = 1) -> list[int]:
    """Counts with integer Laplace noise, epsilon-DP when one person adds at most ``sensitivity`` over them all.

    Negative results are shown as 0 (post-processing keeps the guarantee).

    Examples
    --------
    >>> out = noisy_counts([120, 40], epsilon=1.0)
    >>> len(out), all(v >= 0 for v in out)
    (2, True)
    """
    if not values:
        return []
    dp = _opendp()
    measurement = _laplace((dp.vector_domain(dp.atom_domain(T=int)), dp.l1_distance(T=int)), int(sensitivity),
                           epsilon)
    return [max(0, int(v)) for v in measurement([int(v) for v in values])]


def noisy_sums(values: Sequence[float], *, epsilon: float, bound: float) -> list[float]:
    """Sums with Laplace noise, epsilon-DP when one person adds at most ``bound`` over them all (clamp first).

    Examples
    --------
    >>> out = noisy_sums([1200.0, 300.0], epsilon=1.0, bound=100.0)
    >>> len(out), all(v >= 0 for v in out)
    (2, True)
    """
    if not values:
        return []
    dp = _opendp()
    measurement = _laplace((dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l1_distance(T=float)),
                           float(bound), epsilon)
    return [max(0.0, float(v)) for v in measurement([float(v) for v in values])]
