"""Shapley-value attribution, DP6 Marketing-Attribution-Models' definition, computed exactly.

Each journey is reduced to its *coalition*: its distinct channels (unordered: as a set; ordered: in order of
first appearance), optionally cut to the last ``max_channels`` of that list. The worth of a coalition S is its
conversion rate ``v(S) = conversions(S) / journeys(S)`` over the journeys whose coalition is exactly S (0 when
none converted). For every coalition C that converted, the Shapley values of the game v restricted to the
sub-coalitions of C (ordered: the sub-sequences) split C's conversions (and value) in proportion:
``credit_c = phi_c(C) / v(C) * conversions(C)``; by efficiency ``sum_c phi_c(C) = v(C)``, so credits sum to the
conversions exactly. Values can be negative when a channel lowers the conversion rate.

Coalitions up to ``exact_limit`` (15) channels are solved exactly: all 2^n sub-coalitions at once per coalition
size, with bit tricks in numpy. Larger ones use ``n_permutations`` random permutations (seeded); their standard
error is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial

import numpy as np
import numpy.typing as npt
import polars as pl

from analysis.attribution._encode import Encoded, FloatArray, IntArray, encode, require_path_conversions
from analysis.errors import AnalysisError

_CHUNK_CELLS = 4_000_000


def _coalitions(enc: Encoded, *, ordered: bool, max_channels: int | None) -> tuple[IntArray, IntArray, int]:
    """Per path row its coalition as a padded id matrix (-1 = empty) and the size; also the code base."""
    key = enc.row * max(enc.n_channels, 1) + enc.ids
    _, first = np.unique(key, return_index=True)  # first occurrence of each (row, channel), ordered by row
    rows, ids, pos = enc.row[first], enc.ids[first], enc.pos[first]
    order = np.lexsort((pos, rows)) if ordered else np.lexsort((ids, rows))
    rows, ids = rows[order], ids[order]
    size = np.bincount(rows, minlength=enc.n_rows).astype(np.int64)
    start = np.cumsum(size) - size
    rank = np.arange(rows.shape[0]) - start[rows]
    if max_channels is not None:
        if max_channels < 1:
            raise AnalysisError(f"max_channels must be at least 1, got {max_channels}")
        drop = size[rows] - max_channels
        keep = rank >= drop
        rows, ids, rank = rows[keep], ids[keep], rank[keep] - np.maximum(drop[keep], 0)
        size = np.minimum(size, max_channels)
    width = int(size.max()) if size.shape[0] else 0
    mat = np.full((enc.n_rows, max(width, 1)), -1, dtype=np.int64)
    mat[rows, rank] = ids
    return mat, size, enc.n_channels + 1


def _encode_rows(mat: IntArray, size: IntArray, base: int) -> IntArray:
    """Integer code of each coalition: sum of (id + 1) * base**position."""
    if mat.shape[1] and float(base) ** mat.shape[1] >= 2.0**62:
        raise AnalysisError(
            f"coalitions of {mat.shape[1]} channels out of {base - 1} are too large to encode; "
            "set max_channels to cap them"
        )
    powers = base ** np.arange(mat.shape[1], dtype=np.int64)
    codes: IntArray = ((mat + 1) * powers).sum(axis=1)
    return codes


def _weights(n: int) -> tuple[npt.NDArray[np.bool_], FloatArray, IntArray]:
    """Bits (2^n-1, n) of every non-empty mask, the Shapley weight matrix W and each bit's rank in its mask."""
    masks = np.arange(1, 1 << n, dtype=np.int64)
    bits = ((masks[:, None] >> np.arange(n)) & 1).astype(bool)
    s = bits.sum(axis=1)
    fact = np.array([factorial(i) for i in range(n + 1)], dtype=np.float64)
    w_in = fact[s - 1] * fact[n - s] / fact[n]
    w_out = -fact[s] * fact[np.maximum(n - s - 1, 0)] / fact[n]
    w = np.where(bits, w_in[:, None], np.where(s[:, None] < n, w_out[:, None], 0.0))
    rank = np.cumsum(bits, axis=1) - 1
    return bits, w, rank


@dataclass(frozen=True)
class ShapleyGame:
    """Coalition structure of one path table; :meth:`credits` evaluates it for any per-row counts."""

    n_channels: int
    coalition_of_row: IntArray  # index into the distinct coalitions
    members: IntArray  # (n_coalitions, width) channel ids, -1 padded
    size: IntArray
    lookups: dict[int, IntArray]  # size n -> (coalitions of size n, 2^n-1) index of each sub-coalition, -1 absent
    groups: dict[int, IntArray]  # size n -> coalition indices of that size
    exact_limit: int
    n_permutations: int
    seed: int

    def credits(
        self, conversions: FloatArray, nulls: FloatArray, value: FloatArray
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Per-channel conversion credit, value credit and the sampling standard error of the conversion credit."""
        m = self.members.shape[0]
        conv = np.bincount(self.coalition_of_row, weights=conversions, minlength=m)
        total = np.bincount(self.coalition_of_row, weights=conversions + nulls, minlength=m)
        val = np.bincount(self.coalition_of_row, weights=value, minlength=m)
        v = np.divide(conv, total, out=np.zeros(m), where=total > 0)
        v_pad = np.append(v, 0.0)  # index -1 -> worth 0
        k = max(self.n_channels, 1)
        out_c, out_v, var = np.zeros(k), np.zeros(k), np.zeros(k)
        for n, idx in self.groups.items():
            live = idx[conv[idx] > 0]
            if live.shape[0] == 0:
                continue
            if n <= self.exact_limit:
                _, w, _ = _weights(n)
                look = self.lookups[n]
                pos_in_group = np.searchsorted(idx, live)
                step = max(1, _CHUNK_CELLS // max(w.shape[0], 1))
                phi = np.concatenate(
                    [v_pad[look[pos_in_group[i : i + step]]] @ w for i in range(0, live.shape[0], step)]
                )
                se = np.zeros_like(phi)
            else:
                phi, se = self._sampled(live, n, v)
            scale_c = conv[live] / v[live]
            scale_v = val[live] / v[live]
            ids = self.members[live, :n]
            np.add.at(out_c, ids, phi * scale_c[:, None])
            np.add.at(out_v, ids, phi * scale_v[:, None])
            np.add.at(var, ids, (se * scale_c[:, None]) ** 2)
        return out_c, out_v, np.sqrt(var)

    def _sampled(self, live: IntArray, n: int, v: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Permutation-sampling estimate of phi (and its standard error) for coalitions larger than exact_limit."""
        rng = np.random.default_rng(self.seed)
        r = self.n_permutations
        base = self.n_channels + 1
        codes = _encode_rows(self.members[:, : self.members.shape[1]], self.size, base)
        order = np.argsort(codes)
        sorted_codes = codes[order]
        phi = np.zeros((live.shape[0], n))
        se = np.zeros((live.shape[0], n))
        powers = base ** np.arange(n, dtype=np.int64)
        for j, c in enumerate(live):  # per large coalition (rare), vectorised over permutations
            ids = self.members[c, :n]
            perms = rng.permuted(np.tile(np.arange(n), (r, 1)), axis=1)
            inside = np.zeros((r, n + 1, n), dtype=bool)
            steps = np.arange(1, n + 1)
            inside[:, 1:, :] = np.argsort(perms, axis=1)[:, None, :] < steps[None, :, None]
            rank = np.cumsum(inside, axis=2) - 1
            sub = np.where(inside, (ids + 1)[None, None, :] * powers[np.clip(rank, 0, n - 1)], 0).sum(axis=2)
            at = np.clip(np.searchsorted(sorted_codes, sub), 0, codes.shape[0] - 1)
            worth = np.where(sorted_codes[at] == sub, v[order[at]], 0.0)
            marginal = np.diff(worth, axis=1)  # (r, n): contribution of the perms[:, t]-th position
            contrib = np.zeros((r, n))
            np.put_along_axis(contrib, perms, marginal, axis=1)
            phi[j] = contrib.mean(axis=0)
            se[j] = contrib.std(axis=0, ddof=1) / np.sqrt(r)
        return phi, se


def build_game(
    enc: Encoded,
    *,
    ordered: bool = False,
    max_channels: int | None = None,
    exact_limit: int = 15,
    n_permutations: int = 2000,
    seed: int = 0,
) -> ShapleyGame:
    """The coalition structure of an encoded path table (see the module docstring for the definition)."""
    if not 1 <= exact_limit <= 20:
        raise AnalysisError(f"exact_limit must be between 1 and 20, got {exact_limit}")
    mat, size, base = _coalitions(enc, ordered=ordered, max_channels=max_channels)
    width = mat.shape[1]
    codes = _encode_rows(mat, size, base)
    uniq, first, inv = np.unique(codes, return_index=True, return_inverse=True)
    members, csize = mat[first], size[first]
    powers = base ** np.arange(width, dtype=np.int64)
    lookups: dict[int, IntArray] = {}
    groups: dict[int, IntArray] = {}
    for n in np.unique(csize).tolist():
        if n == 0:
            continue
        idx = np.flatnonzero(csize == n)
        groups[n] = idx
        if n > exact_limit:
            continue
        bits, _, rank = _weights(n)
        ids = members[idx, :n] + 1
        sub = np.zeros((idx.shape[0], bits.shape[0]), dtype=np.int64)
        for j in range(n):  # one pass per position in the coalition
            sub += ids[:, j : j + 1] * np.where(bits[:, j], powers[rank[:, j]], 0)[None, :]
        at = np.clip(np.searchsorted(uniq, sub), 0, uniq.shape[0] - 1)
        lookups[n] = np.where(uniq[at] == sub, at, -1)
    return ShapleyGame(
        n_channels=enc.n_channels,
        coalition_of_row=inv.astype(np.int64),
        members=members,
        size=csize,
        lookups=lookups,
        groups=groups,
        exact_limit=exact_limit,
        n_permutations=n_permutations,
        seed=seed,
    )


def shapley_values(
    paths: pl.DataFrame,
    *,
    ordered: bool = False,
    max_channels: int | None = None,
    exact_limit: int = 15,
    n_permutations: int = 2000,
    seed: int = 0,
) -> pl.DataFrame:
    """Shapley credit per channel with the sampling standard error of the conversion credit.

    Columns ``channel``, ``conversions``, ``value``, ``share``, ``conversions_se``; the standard error is 0
    when every coalition has at most ``exact_limit`` channels (all solved exactly).

    Examples
    --------
    >>> p = pl.DataFrame({"path": [["A"], ["B"], ["A", "B"]], "conversions": [1, 2, 3], "nulls": [3, 2, 1],
    ...                   "value": [1.0, 2.0, 3.0]})
    >>> shapley_values(p)["conversions"].to_list()
    [2.0, 4.0]
    """
    enc = encode(paths)
    require_path_conversions(enc)
    game = build_game(
        enc,
        ordered=ordered,
        max_channels=max_channels,
        exact_limit=exact_limit,
        n_permutations=n_permutations,
        seed=seed,
    )
    conv, val, se = game.credits(enc.conversions, enc.nulls, enc.value)
    k = enc.n_channels
    total = float(enc.conversions.sum())
    return pl.DataFrame(
        {
            "channel": enc.channels,
            "conversions": conv[:k],
            "value": val[:k],
            "share": conv[:k] / total if total > 0 else np.zeros(k),
            "conversions_se": se[:k],
        },
        schema={
            "channel": pl.String,
            "conversions": pl.Float64,
            "value": pl.Float64,
            "share": pl.Float64,
            "conversions_se": pl.Float64,
        },
    )
