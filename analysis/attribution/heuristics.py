"""Rule-based models: each gives every touch of a path a weight; a path's weights sum to 1.

Definitions follow Adobe Attribution IQ and DP6 Marketing-Attribution-Models (reference section 5):

- ``first_touch`` / ``last_touch``: all credit to the first / last touch.
- ``last_non_direct``: the last touch whose channel is not ``direct``; all-direct paths credit their last touch.
- ``linear``: equal shares.
- ``position_based`` (U-shaped): ``weights=(first, middle, last)``, default 40/20/40; the middle share is split
  evenly over the middle touches; with two touches the middle weight is dropped and first/last renormalised
  (50/50 by default); one touch gets everything.
- ``j_shaped`` = position based 20/20/60, ``inverse_j`` = 60/20/20 (two touches: 25/75 and 75/25).
- ``time_decay``: weight ``2 ** (-t / half_life)``, t = time from the touch to the conversion, normalised.
- ``participation``: 1 to every distinct channel of the path (does not sum to the conversions).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import scipy.sparse as sp

from analysis.attribution._encode import Encoded, FloatArray
from analysis.errors import AnalysisError
from analysis.vocabulary import HALF_LIFE

POSITION_WEIGHTS = {"position_based": (0.4, 0.2, 0.4), "j_shaped": (0.2, 0.2, 0.6), "inverse_j": (0.6, 0.2, 0.2)}


def first_touch(enc: Encoded) -> FloatArray:
    """Weight 1 on each path's first touch."""
    out: FloatArray = (enc.pos == 0).astype(np.float64)
    return out


def last_touch(enc: Encoded) -> FloatArray:
    """Weight 1 on each path's last touch."""
    out: FloatArray = (enc.pos == enc.length[enc.row] - 1).astype(np.float64)
    return out


def last_non_direct(enc: Encoded, *, direct: str = "Direct") -> FloatArray:
    """Weight 1 on the last touch that is not ``direct``; the last touch when the whole path is direct."""
    d = enc.channels.index(direct) if direct in enc.channels else -1
    non_direct = enc.ids != d
    # last non-direct position per row (-1 when none), then fall back to the last touch
    best = np.full(enc.n_rows, -1, dtype=np.int64)
    np.maximum.at(best, enc.row[non_direct], enc.pos[non_direct])
    best = np.where(best < 0, enc.length - 1, best)
    out: FloatArray = (enc.pos == best[enc.row]).astype(np.float64)
    return out


def linear(enc: Encoded) -> FloatArray:
    """Equal weight ``1/n`` on each of a path's n touches."""
    return 1.0 / enc.length[enc.row].astype(np.float64)


def position_based(enc: Encoded, *, weights: tuple[float, float, float] = (0.4, 0.2, 0.4)) -> FloatArray:
    """First/middle/last weights (normalised to 1); middle split evenly; two touches renormalise first/last."""
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (3,) or (w < 0).any() or w.sum() <= 0 or w[0] + w[2] <= 0:
        raise AnalysisError(f"position weights must be three non-negative numbers with first+last > 0, got {weights}")
    f, m, last = w / w.sum()
    n = enc.length[enc.row]
    first_pos, last_pos = enc.pos == 0, enc.pos == n - 1
    middle = np.where(n > 2, m / np.maximum(n - 2, 1), 0.0)
    out = np.where(first_pos, f, np.where(last_pos, last, middle))
    two = n == 2
    out = np.where(two, np.where(first_pos, f / (f + last), last / (f + last)), out)
    return np.where(n == 1, 1.0, out)


def time_decay(enc: Encoded, *, half_life: timedelta = HALF_LIFE) -> FloatArray:
    """Weight ``2 ** (-t / half_life)`` (t = days before the conversion), normalised per path."""
    if enc.days is None:
        raise AnalysisError("time_decay needs touch times: build paths with conversion_paths(..., with_times=True)")
    h = half_life / timedelta(days=1)
    if h <= 0:
        raise AnalysisError(f"half_life must be positive, got {half_life}")
    raw = np.exp2(-np.maximum(enc.days, 0.0) / h)
    total = np.bincount(enc.row, weights=raw, minlength=enc.n_rows)
    return raw / total[enc.row]


def participation(enc: Encoded) -> FloatArray:
    """Weight 1 on the first occurrence of each distinct channel of a path."""
    key = enc.row * max(enc.n_channels, 1) + enc.ids
    _, first = np.unique(key, return_index=True)
    out = np.zeros(enc.ids.shape[0], dtype=np.float64)
    out[first] = 1.0
    return out


def credit_matrix(enc: Encoded, weights: FloatArray) -> sp.csr_array:
    """Rows x channels matrix of per-path credit fractions (duplicates of a channel in a path add up)."""
    return sp.csr_array(sp.coo_array((weights, (enc.row, enc.ids)), shape=(enc.n_rows, max(enc.n_channels, 1))))
