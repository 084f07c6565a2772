"""Dispatch a raw frame to its vendor's preparation step by the detected format."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from analysis.ingest._vendors import amplitude, ga4, mixpanel, segment, snowplow
from analysis.ingest._vendors.common import Prepared

_PREPARE: dict[str, Callable[..., Prepared]] = {
    "amplitude": amplitude.prepare, "ga4": ga4.prepare, "mixpanel": mixpanel.prepare,
    "segment": segment.prepare, "snowplow": snowplow.prepare,
}


def prepare(fmt: str, raw: pl.DataFrame, *, name: str) -> Prepared:
    """Add the vendor's derived columns (event names, ids, UTC marks, revenue) to ``raw``; others pass unchanged.

    Examples
    --------
    >>> prepare("generic", pl.DataFrame({"a": [1]}), name="f").frame.columns
    ['a']
    """
    step = _PREPARE.get(fmt)
    return step(raw, name=name) if step else Prepared(raw)
