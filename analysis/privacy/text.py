"""Text that leaves the machine: escaping for HTML and Plotly, URL query stripping, coarse timestamps, pseudonyms."""

from __future__ import annotations

import hashlib
import hmac
import html
import re
from collections.abc import Iterable

import polars as pl

from analysis.errors import AnalysisError
from analysis.vocabulary import EVERIES, Every, check_choice

#: Query keys kept by :func:`strip_url_query` (campaign tags and ad click ids, never free text).
KEPT_QUERY_KEYS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "utm_id",
                   "gclid", "gbraid", "wbraid", "fbclid", "msclkid", "dclid")


_MARKDOWN_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_AUTOLINK_TRIGGERS = re.compile(r"(?i)https?|ftp|www")


def escape_text(text: str) -> str:
    """Escape data text for HTML *and* for Plotly's pseudo-HTML labels.

    ``&``, ``<``, ``>``, quotes become entities (quotes numeric, which Plotly decodes), so no tag
    (``<script>``, Plotly's ``<b>``, ``<br>``, ``<a href>``) survives; ``$`` becomes ``&#36;`` so Plotly never
    hands the label to MathJax. Browsers and Plotly (which splits tags *before* decoding entities) both show the
    original characters.

    Examples
    --------
    >>> escape_text('<a href="javascript:alert(1)">x</a> costs $5$')
    '&lt;a href=&#34;javascript:alert(1)&#34;&gt;x&lt;/a&gt; costs &#36;5&#36;'
    """
    # Plotly decodes only amp/lt/gt and numeric entities, so quotes use numeric ones (&#34; not &quot;)
    return html.escape(text, quote=False).replace('"', "&#34;").replace("'", "&#39;").replace("$", "&#36;")


def escape_markdown(text: str) -> str:
    r"""Make data text render literally in a Streamlit label, caption or Markdown: no links, images, emphasis or HTML.

    Every ASCII punctuation character is backslash-escaped. GitHub-flavoured Markdown still turns bare URLs and
    e-mail addresses into links after unescaping, so an invisible word joiner (U+2060) breaks ``http``, ``ftp``,
    ``www`` and ``@``; the text reads the same.

    Examples
    --------
    >>> print(escape_markdown("[x](https://evil.example) <b>").replace("⁠", "|"))
    \[x\]\(h|ttps\:\/\/evil\.example\) \<b\>
    """
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)
    unlinked = _AUTOLINK_TRIGGERS.sub(lambda m: m.group(0)[0] + "\u2060" + m.group(0)[1:], escaped)
    return unlinked.replace("\\@", "\u2060\\@")


def escape_column(column: str) -> pl.Expr:
    """The expression form of :func:`escape_text` for a String column (nulls stay null)."""
    return (
        pl.col(column)
        .str.replace_all("&", "&amp;", literal=True)
        .str.replace_all("<", "&lt;", literal=True)
        .str.replace_all(">", "&gt;", literal=True)
        .str.replace_all('"', "&#34;", literal=True)
        .str.replace_all("'", "&#39;", literal=True)
        .str.replace_all("$", "&#36;", literal=True)
    )


def strip_url_query(column: str, *, keep: Iterable[str] = KEPT_QUERY_KEYS) -> pl.Expr:
    """Drop a URL's fragment and every query parameter except campaign tags and click ids.

    Free-text queries carry emails, search terms and tokens; ``utm_*`` and click-id keys are kept.

    Examples
    --------
    >>> df = pl.DataFrame({"url": ["https://x.de/a?email=a@b.de&utm_source=nl#top", "https://x.de/b"]})
    >>> df.select(strip_url_query("url"))["url"].to_list()
    ['https://x.de/a?utm_source=nl', 'https://x.de/b']
    """
    keys = "|".join(sorted(keep))
    base = pl.col(column).str.replace(r"#.*$", "").str.extract(r"^([^?]*)", 1)
    query = pl.col(column).str.replace(r"#.*$", "").str.extract(r"\?(.*)$", 1)
    kept = query.str.split("&").list.eval(
        pl.element().filter(pl.element().str.contains(rf"(?i)^(?:{keys})(?:=|$)"))
    ).list.join("&")
    return (
        pl.when(kept.is_null() | (kept == ""))
        .then(base)
        .otherwise(pl.format("{}?{}", base, kept))
        .alias(column)
    )


def coarsen_timestamps(column: str, *, every: Every = "day") -> pl.Expr:
    """Truncate a Datetime column to the start of its day or ISO week (Monday), as a Date.

    Examples
    --------
    >>> from datetime import datetime, timezone
    >>> df = pl.DataFrame({"t": [datetime(2026, 3, 5, 17, 4, tzinfo=timezone.utc)]})
    >>> df.select(coarsen_timestamps("t", every="week"))["t"].to_list()
    [datetime.date(2026, 3, 2)]
    """
    check_choice("every", every, EVERIES)
    return pl.col(column).dt.truncate("1d" if every == "day" else "1w").dt.date().alias(column)


def pseudonymise(ids: pl.Series, key: bytes, *, length: int = 32) -> pl.Series:
    """Keyed pseudonyms: hex HMAC-SHA-256 of each id under ``key``, truncated to ``length`` hex digits (>= 32).

    The same id and key always give the same pseudonym; without the key nobody can test a guess (a plain hash of
    an email falls to a dictionary). Keep the key outside any export. Pseudonymised ids are still personal data:
    snapshots carry none at all.

    Examples
    --------
    >>> p = pseudonymise(pl.Series(["u1", "u1", None]), b"k" * 32)
    >>> p[0] == p[1], p[2] is None, len(p[0])
    (True, True, 32)
    """
    if len(key) < 16:
        raise AnalysisError(f"the pseudonymisation key has {len(key)} bytes; use at least 16 random bytes")
    if not 32 <= length <= 64:
        raise AnalysisError(f"length={length} is invalid; use 32..64 hex digits (128..256 bits)")

    def mac(value: str) -> str:
        return hmac.new(key, value.encode("utf-8"), hashlib.sha256).hexdigest()[:length]

    # hmac has no vectorised form; map over the distinct ids only, then join back
    distinct = ids.drop_nulls().unique()
    table = pl.DataFrame({"id": distinct, "pseudonym": [mac(v) for v in distinct.to_list()]},
                         schema={"id": pl.String, "pseudonym": pl.String})
    out = pl.DataFrame({"id": ids.cast(pl.String)}).join(table, on="id", how="left", maintain_order="left")
    return out["pseudonym"].alias(ids.name)
