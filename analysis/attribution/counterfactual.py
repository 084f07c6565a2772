"""Shapley credit that cannot be negative: the Shapley value of the Markov chain's counterfactual game.

DP6's Shapley (:mod:`analysis.attribution.shapley`) uses as worth the conversion rate of the journeys whose channel
set is exactly S. That game is not monotone: a channel set can convert less often than one of its subsets, so a
channel's credit can be negative (and, on thin cells, swing wildly). This variant keeps the Shapley value and
changes the game to a counterfactual one:

``v(S)`` = probability of converting in the first-order Markov chain of the observed journeys (the chain of
:mod:`analysis.attribution.markov`, order 1) when only the channels in S exist: every transition into a channel
outside S ends the journey without a conversion.

Adding channels can only add ways to reach the conversion, so ``v`` is monotone and every marginal contribution is
``>= 0``; the Shapley value (Shapley 1953) is then ``>= 0`` for every channel, and by efficiency the values sum to
``v(all channels)``. Credits are ``phi_c / v(all) x`` total conversions (and the same with the value-weighted
chain for value), so they sum to the conversions and the value exactly. The Markov removal effect is the last
marginal contribution of each channel (``v(all) - v(all without c)``); this value averages them over every order
in which channels can be added. It is the counterfactual construction that Singal, Besbes, Desir, Goyal and
Iyengar argue for ("Shapley Meets Uniform: An Axiomatic Framework for Attribution in Online Advertising",
Management Science 68(10), 2022; their *counterfactual adjusted Shapley value*) in its simplest form: a Shapley
value over a Markov model of journeys with absent channels as counterfactuals; see docs/decisions/0010.

Up to ``exact_limit`` (12) channels every one of the 2^k channel sets is solved at once (one batched dense
solve of the (k+1)-state chain); beyond, ``n_permutations`` seeded random orders estimate the values.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import numpy as np
import numpy.typing as npt
import polars as pl

from analysis.attribution._encode import Encoded, FloatArray, IntArray, encode, require_path_conversions
from analysis.attribution.markov import MarkovChain, build_chain
from analysis.errors import AnalysisError

_BATCH_CELLS = 4_000_000  # matrix cells per batched solve (about 32 MB)


@dataclass(frozen=True)
class CounterfactualGame:
    """The first-order chain of one path table and the channel sets to evaluate; :meth:`credits` per counts."""

    chain: MarkovChain
    state_channel: IntArray  # per transient state, its channel (-1 for start)
    n_channels: int
    exact_limit: int
    n_permutations: int
    seed: int

    def worth(self, masks: npt.NDArray[np.bool_], conversions: FloatArray, nulls: FloatArray,
              value: FloatArray) -> FloatArray:
        """(len(masks), 2): conversion probability and expected value from start with only the masked channels."""
        dense, r = self.chain.matrices(conversions, nulls, value, dense=True)
        n = dense.shape[0]
        keep_state = np.ones((masks.shape[0], n), dtype=bool)
        ch = self.state_channel
        keep_state[:, ch >= 0] = masks[:, ch[ch >= 0]]
        out = np.zeros((masks.shape[0], 2))
        step = max(1, _BATCH_CELLS // max(n * n, 1))
        eye = np.eye(n)
        for i in range(0, masks.shape[0], step):  # a handful of batched solves
            keep = keep_state[i : i + step].astype(np.float64)
            a = eye[None] - dense[None] * keep[:, None, :]  # a removed state is never entered
            x = np.linalg.solve(a, r[None] * keep[:, :, None])
            out[i : i + step] = x[:, 0, :]
        return out

    def credits(self, conversions: FloatArray, nulls: FloatArray, value: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Per-channel conversion and value credit (both >= 0, summing to the totals)."""
        k = self.n_channels
        if k <= self.exact_limit:
            phi = self._exact(conversions, nulls, value)
        else:
            phi = self._sampled(conversions, nulls, value)
        phi = np.where(phi < 0, np.maximum(phi, 0.0), phi)  # float dust only: every marginal is >= 0 exactly
        total = phi.sum(axis=0)
        scale = np.divide(np.array([conversions.sum(), value.sum()]), total, out=np.zeros(2), where=total > 0)
        credit = phi * scale[None, :]
        return credit[:, 0], credit[:, 1]

    def _exact(self, conversions: FloatArray, nulls: FloatArray, value: FloatArray) -> FloatArray:
        k = self.n_channels
        codes = np.arange(1 << k, dtype=np.int64)
        masks = ((codes[:, None] >> np.arange(k)) & 1).astype(bool)
        v = self.worth(masks, conversions, nulls, value)
        size = masks.sum(axis=1)
        fact = np.array([factorial(i) for i in range(k + 1)], dtype=np.float64)
        phi = np.zeros((k, 2))
        for c in range(k):  # per channel: every set without it, vectorised
            without = codes[~masks[:, c]]
            weight = fact[size[without]] * fact[k - size[without] - 1] / fact[k]
            phi[c] = weight @ (v[without | (1 << c)] - v[without])
        return phi

    def _sampled(self, conversions: FloatArray, nulls: FloatArray, value: FloatArray) -> FloatArray:
        k, r = self.n_channels, self.n_permutations
        rng = np.random.default_rng(self.seed)
        perms = rng.permuted(np.tile(np.arange(k), (r, 1)), axis=1)
        rank = np.argsort(perms, axis=1)  # position of each channel in each order
        prefix = rank[:, None, :] < np.arange(k + 1)[None, :, None]  # (r, k+1, k): the first t channels
        v = self.worth(prefix.reshape(-1, k), conversions, nulls, value).reshape(r, k + 1, 2)
        marginal = np.diff(v, axis=1)  # (r, k, 2): contribution of the channel added at step t
        phi = np.zeros((k, 2))
        for j in range(2):
            contrib = np.zeros((r, k))
            np.put_along_axis(contrib, perms, marginal[:, :, j], axis=1)
            phi[:, j] = contrib.mean(axis=0)
        return phi


def build_counterfactual(enc: Encoded, *, exact_limit: int = 12, n_permutations: int = 2000,
                         seed: int = 0) -> CounterfactualGame:
    """The counterfactual game of an encoded path table (see the module docstring)."""
    if not 1 <= exact_limit <= 16:
        raise AnalysisError(f"exact_limit must be between 1 and 16, got {exact_limit}")
    if n_permutations < 2:
        raise AnalysisError(f"n_permutations must be at least 2, got {n_permutations}")
    chain = build_chain(enc, order=1)
    has = chain.contains
    state_channel = np.where(has.any(axis=1), has.argmax(axis=1), -1).astype(np.int64)
    return CounterfactualGame(chain, state_channel, enc.n_channels, exact_limit, n_permutations, seed)


def counterfactual_shapley(paths: pl.DataFrame, *, exact_limit: int = 12, n_permutations: int = 2000,
                           seed: int = 0) -> pl.DataFrame:
    """Non-negative Shapley credit per channel: columns ``channel``, ``conversions``, ``value``, ``share``.

    Examples
    --------
    >>> p = pl.DataFrame({"path": [["A"], ["B"], ["A", "B"]], "conversions": [1, 2, 3], "nulls": [3, 2, 1],
    ...                   "value": [1.0, 2.0, 3.0]})
    >>> got = counterfactual_shapley(p)
    >>> bool((got["conversions"] >= 0).all()), round(got["conversions"].sum(), 9)
    (True, 6.0)
    """
    enc = encode(paths)
    require_path_conversions(enc)
    conv, val = build_counterfactual(enc, exact_limit=exact_limit, n_permutations=n_permutations,
                                     seed=seed).credits(enc.conversions, enc.nulls, enc.value)
    total = float(enc.conversions.sum())
    return pl.DataFrame({"channel": enc.channels, "conversions": conv, "value": val, "share": conv / total},
                        schema={"channel": pl.String, "conversions": pl.Float64, "value": pl.Float64,
                                "share": pl.Float64})
