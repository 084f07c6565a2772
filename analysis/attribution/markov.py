"""Markov-chain attribution: exact removal effects from the absorbing chain, orders 1-4.

States are tuples of ``order`` consecutive channels: a path's first state is its first ``order`` channels (the
whole path when it is shorter), then the window slides one touch at a time (ChannelAttribution's convention),
plus ``start`` and the
absorbing ``conversion`` and ``null``. Transition probabilities are the observed frequencies (self-loops
dropped: they change no absorption probability). The conversion probability from ``start`` solves
``(I - Q) x = r`` (Q transient-to-transient, r transient-to-conversion). Removing channel c sends every
transition into a state containing c to ``null``; the removal effect is ``RE_c = 1 - P(conv without c) / P(conv)``,
which equals the share of converting chain paths that visit c (ChannelAttribution's simulated estimate of the
same quantity; DP6 MAM's exact first-order value). Credit: ``RE_c / sum(RE) x`` total conversions; value
uses the value removal effect (conversions weighted by the mean value of conversions from their last state).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, overload

import numpy as np
import numpy.typing as npt
import polars as pl
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from analysis.attribution._encode import Encoded, FloatArray, IntArray, encode, require_path_conversions
from analysis.errors import AnalysisError
from analysis.vocabulary import MARKOV_ORDERS, check_choice

_DENSE_LIMIT = 64  # sparse LU wins beyond this: the chains are nearly acyclic and very sparse


def _state_codes(enc: Encoded, order: int) -> tuple[IntArray, int]:
    """One integer per touch naming the tuple of its last ``order`` channels (base K+1 digits)."""
    base = enc.n_channels + 1
    if base**order >= 2**62:
        raise AnalysisError(f"order {order} with {enc.n_channels} channels is too large to encode; lower the order")
    code = np.zeros(enc.ids.shape[0], dtype=np.int64)
    for j in range(order):  # one vectorised pass per lag, never per touch
        ok = enc.pos >= j
        idx = np.arange(enc.ids.shape[0]) - j
        digit = np.where(ok, enc.ids[np.maximum(idx, 0)] + 1, 0)
        code += digit * base**j
    return code, base


@dataclass(frozen=True)
class MarkovChain:
    """The chain's structure for one path table; :meth:`removal_effects` takes any counts on the same rows."""

    order: int
    n_states: int  # transient states, 0 = start
    src: IntArray  # inner transition pair -> source state
    dst: IntArray
    pair_of_touch: IntArray  # per touch, its pair index (-1 for dropped self-loops)
    touch_row: IntArray
    last_state: IntArray  # per path row, the state of its last touch (0 for empty paths)
    contains: npt.NDArray[np.bool_]  # (n_states, n_channels) does the state's tuple contain the channel

    def removal_effects(
        self, conversions: FloatArray, nulls: FloatArray, value: FloatArray | None = None
    ) -> tuple[float, FloatArray, FloatArray]:
        """P(conversion) from start, and every channel's removal effect on conversions and on value.

        The value effect weights each conversion by the mean value of the conversions from its last state, so
        ``1 - V(without c) / V`` with V the expected value per journey (0s when ``value`` is None or all 0).
        """
        k = self.contains.shape[1]
        effects = np.zeros((k, 2))
        if self.n_states <= _DENSE_LIMIT:  # small chains: every removal in one batched dense solve
            solved = _absorb_each(*self.matrices(conversions, nulls, value, dense=True), self.contains.T)
            base, effects = solved[0], 1.0 - np.divide(solved[1:], solved[0], out=np.ones((k, 2)),
                                                       where=solved[0] > 0)
            return float(base[0]), *np.clip(effects, 0.0, 1.0).T  # type: ignore[return-value]
        q, r = self.matrices(conversions, nulls, value)
        base = _absorb(q, r, np.ones(self.n_states, dtype=bool))
        for c in range(k):  # one sparse solve per channel, both right-hand sides at once
            kept = _absorb(q, r, ~self.contains[:, c])
            effects[c] = 1.0 - np.divide(kept, base, out=np.ones(2), where=base > 0)
        effects = np.clip(effects, 0.0, 1.0)
        return float(base[0]), effects[:, 0], effects[:, 1]

    @overload
    def matrices(self, conversions: FloatArray, nulls: FloatArray, value: FloatArray | None = None, *,
                 dense: Literal[False] = False) -> tuple[sp.csr_array, FloatArray]: ...

    @overload
    def matrices(self, conversions: FloatArray, nulls: FloatArray, value: FloatArray | None = None, *,
                 dense: Literal[True]) -> tuple[FloatArray, FloatArray]: ...

    def matrices(
        self, conversions: FloatArray, nulls: FloatArray, value: FloatArray | None = None, *, dense: bool = False
    ) -> tuple[sp.csr_array | FloatArray, FloatArray]:
        """Transient-to-transient probabilities Q and the (conversion, value) reward columns r of the chain;
        ``dense=True`` gives Q as a dense array (for small chains)."""
        total = conversions + nulls
        w = np.bincount(
            self.pair_of_touch[self.pair_of_touch >= 0],
            weights=total[self.touch_row[self.pair_of_touch >= 0]],
            minlength=self.src.shape[0],
        )
        n = self.n_states
        to_conv = np.bincount(self.last_state, weights=conversions, minlength=n)
        to_null = np.bincount(self.last_state, weights=nulls, minlength=n)
        to_value = np.bincount(self.last_state, weights=value, minlength=n) if value is not None else np.zeros(n)
        out = np.bincount(self.src, weights=w, minlength=n) + to_conv + to_null
        inv = np.divide(1.0, out, out=np.zeros(n), where=out > 0)
        r = np.column_stack([to_conv * inv, to_value * inv])
        if dense:  # the transition pairs are unique, so one bincount places each probability
            flat = np.bincount(self.src * n + self.dst, weights=w * inv[self.src], minlength=n * n)
            return flat.reshape(n, n), r
        return sp.csr_array((w * inv[self.src], (self.src, self.dst)), shape=(n, n)), r


def _absorb_each(q: FloatArray, r: FloatArray, removed: npt.NDArray[np.bool_]) -> FloatArray:
    """Absorption (conversion, value) from state 0 in the whole chain (row 0) and with each row of ``removed``
    (channels x states) taken out (rows 1..): a removed state keeps no transition and no reward, so it is null."""
    keep = np.vstack([np.ones((1, q.shape[0]), dtype=bool), ~removed]).astype(np.float64)  # (1 + k, n)
    a = np.eye(q.shape[0]) - q[None, :, :] * keep[:, :, None]
    x = np.linalg.solve(a, r[None, :, :] * keep[:, :, None])
    return np.asarray(x[:, 0, :], dtype=np.float64)


def _absorb(q: sp.csr_array, r: FloatArray, keep: npt.NDArray[np.bool_]) -> FloatArray:
    """Absorption (conversion, value) from state 0 in the chain restricted to ``keep`` (others become null)."""
    idx = np.flatnonzero(keep)
    qk = q[idx][:, idx]
    n = idx.shape[0]
    if n <= _DENSE_LIMIT:
        a = np.eye(n) - qk.toarray()
        x = np.linalg.solve(a, r[idx])  # scipy 1.17's batched solve costs ms per tiny system
    else:
        a_sp = (sp.eye_array(n, format="csc") - qk.tocsc()).tocsc()
        x = spla.spsolve(a_sp, r[idx])
    first: FloatArray = np.asarray(x, dtype=np.float64).reshape(n, -1)[0]
    return first


def build_chain(enc: Encoded, *, order: int = 1) -> MarkovChain:
    """The order-``order`` chain structure of an encoded path table."""
    check_choice("Markov order", order, MARKOV_ORDERS)
    code, base = _state_codes(enc, order)
    # ChannelAttribution's convention: a path's first state is its first `order` channels (the whole path
    # when shorter), then windows slide one touch at a time
    first_kept = np.minimum(order, enc.length[enc.row]) - 1
    kept = enc.pos >= first_kept
    uniq, state = np.unique(code[kept], return_inverse=True)
    n_states = uniq.shape[0] + 1
    state_all = np.zeros(code.shape[0], dtype=np.int64)
    state_all[kept] = state.astype(np.int64) + 1  # 0 is start
    state = state_all
    prev = np.where(enc.pos == first_kept, 0, np.roll(state, 1))
    keep = kept & (prev != state)
    pair_key = prev * n_states + state
    pairs, pair_inv = np.unique(pair_key[keep], return_inverse=True)
    pair_of_touch = np.full(state.shape[0], -1, dtype=np.int64)
    pair_of_touch[keep] = pair_inv
    last = np.zeros(enc.n_rows, dtype=np.int64)
    is_last = enc.pos == enc.length[enc.row] - 1
    last[enc.row[is_last]] = state[is_last]
    contains = np.zeros((n_states, max(enc.n_channels, 1)), dtype=bool)
    for j in range(order):
        digit = (uniq // base**j) % base
        has = digit > 0
        contains[np.flatnonzero(has) + 1, digit[has] - 1] = True
    return MarkovChain(
        order=order,
        n_states=n_states,
        src=pairs // n_states,
        dst=pairs % n_states,
        pair_of_touch=pair_of_touch,
        touch_row=enc.row,
        last_state=last,
        contains=contains,
    )


def removal_effects(paths: pl.DataFrame, *, order: int = 1) -> pl.DataFrame:
    """Exact removal effect per channel: columns ``channel``, ``removal_effect``.

    Examples
    --------
    >>> p = pl.DataFrame({"path": [["A", "B"], ["B"]], "conversions": [1, 0], "nulls": [0, 1],
    ...                   "value": [1.0, 0.0]})
    >>> removal_effects(p)["removal_effect"].to_list()
    [0.5, 1.0]
    """
    enc = encode(paths)
    require_path_conversions(enc)
    _, re, _ = build_chain(enc, order=order).removal_effects(enc.conversions, enc.nulls)
    return pl.DataFrame(
        {"channel": enc.channels, "removal_effect": re[: enc.n_channels]},
        schema={"channel": pl.String, "removal_effect": pl.Float64},
    )


def select_order(
    paths: pl.DataFrame,
    *,
    orders: Sequence[int] = (1, 2, 3, 4),
    holdout: float = 0.3,
    seed: int = 0,
    alpha: float = 1.0,
) -> pl.DataFrame:
    """Pick the Markov order by held-out log-likelihood of the next step (channel, conversion or null).

    Journeys are split at random (seeded) into training and held-out parts; each order's transition
    frequencies are fitted on the training part with add-``alpha`` smoothing and scored on the held-out part.
    Columns: ``order``, ``states``, ``loglik`` (mean per held-out transition), ``selected``.

    Examples
    --------
    >>> p = pl.DataFrame({"path": [["A", "B"], ["B", "A"]], "conversions": [30, 0], "nulls": [0, 30],
    ...                   "value": [30.0, 0.0]})
    >>> select_order(p, orders=(1, 2)).filter("selected")["order"].item()
    2
    """
    if not 0 < holdout < 1:
        raise AnalysisError(f"holdout must be between 0 and 1, got {holdout}")
    enc = encode(paths)
    rng = np.random.default_rng(seed)
    conv_te = rng.binomial(enc.conversions.astype(np.int64), holdout).astype(np.float64)
    null_te = rng.binomial(enc.nulls.astype(np.int64), holdout).astype(np.float64)
    conv_tr, null_tr = enc.conversions - conv_te, enc.nulls - null_te
    k_out = enc.n_channels + 2
    rows = []
    for order in orders:
        check_choice("Markov order", order, MARKOV_ORDERS)
        code, _ = _state_codes(enc, order)
        prev = np.where(enc.pos == 0, 0, np.roll(code, 1))
        is_last = enc.pos == enc.length[enc.row] - 1
        last_code = code[is_last]
        last_row = enc.row[is_last]
        from_code = np.concatenate([prev, last_code, last_code])
        outcome = np.concatenate(
            [enc.ids, np.full(last_code.shape[0], k_out - 2), np.full(last_code.shape[0], k_out - 1)]
        )
        w_tr = np.concatenate([(conv_tr + null_tr)[enc.row], conv_tr[last_row], null_tr[last_row]])
        w_te = np.concatenate([(conv_te + null_te)[enc.row], conv_te[last_row], null_te[last_row]])
        _, key_inv = np.unique(from_code * k_out + outcome, return_inverse=True)
        _, st_inv = np.unique(from_code, return_inverse=True)
        n_key = np.bincount(key_inv, weights=w_tr)
        n_state = np.bincount(st_inv, weights=w_tr)
        prob = (n_key[key_inv] + alpha) / (n_state[st_inv] + alpha * k_out)
        total = w_te.sum()
        ll = float((w_te * np.log(prob)).sum() / total) if total > 0 else float("nan")
        rows.append((order, int(np.unique(code).shape[0]) + 1, ll))
    out = pl.DataFrame(rows, schema={"order": pl.Int64, "states": pl.Int64, "loglik": pl.Float64}, orient="row")
    best = out.filter(pl.col("loglik").is_not_nan()).sort("loglik", descending=True).head(1)["order"]
    return out.with_columns(selected=pl.col("order").is_in(best.implode()))
