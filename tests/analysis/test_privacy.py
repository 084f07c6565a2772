"""The privacy gate: PII detection, small-cell and complementary suppression, folding, escaping, pseudonyms."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from analysis.errors import AnalysisError
from analysis.privacy import (
    SuppressionManifest,
    coarsen_timestamps,
    derivable_cells,
    detect_pii_columns,
    escape_column,
    escape_markdown,
    escape_text,
    fold_small_categories,
    pseudonymise,
    redact_values,
    strip_url_query,
    suppress_funnel_steps,
    suppress_small_cells,
)

K = 10


# --- personal-data detection --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "header",
    ["E-Mail", "email", "Telefon", "phone", "Vorname", "Nachname", "Name", "Anschrift", "Straße", "PLZ",
     "IP-Adresse", "ip_address", "first_name", "Geburtsdatum", "IBAN", "user_id", "anonymous_id"],
)
def test_personal_headers_are_flagged(header: str) -> None:
    assert header in detect_pii_columns(pl.DataFrame({header: ["x"]}))


@pytest.mark.parametrize("header", ["event", "channel", "campaign", "campaign_name", "device", "country", "revenue"])
def test_ordinary_headers_are_not_flagged(header: str) -> None:
    assert detect_pii_columns(pl.DataFrame({header: ["page_view"]})) == {}


@pytest.mark.parametrize(
    "values",
    [["anna@example.de", "bob@x.org", "c"], ["+49 30 1234567", "030/1234567", "0171 2345678"],
     ["192.168.0.1", "10.0.0.7", "x"], ["2001:db8::1", "fe80::1ff:fe23:4567:890a", "x"]],
)
def test_personal_values_flag_a_neutral_header(values: list[str]) -> None:
    assert "props" in detect_pii_columns(pl.DataFrame({"props": values}))


def test_dates_and_event_names_are_not_personal_values() -> None:
    df = pl.DataFrame({"day": ["2026-01-01", "2026-01-02"], "what": ["add_to_cart", "view_item"]})
    assert detect_pii_columns(df) == {}


def test_redact_values_replaces_single_personal_labels() -> None:
    df = pl.DataFrame({"event": ["purchase", "anna@example.de", "10.1.2.3"]})
    assert df.select(redact_values("event"))["event"].to_list() == ["purchase", "[redacted]", "[redacted]"]


# --- small cells ----------------------------------------------------------------------------------------------

def test_primary_and_complementary_suppression_in_one_line() -> None:
    t = pl.DataFrame({"channel": ["A", "B", "C"], "users": [40, 3, 25]})
    out = suppress_small_cells(t, count_col="users", min_group_size=K)
    expected = pl.DataFrame({"channel": ["A", "B", "C"], "users": [40, None, None],
                             "suppressed": [False, True, True]})
    assert_frame_equal(out.table, expected)
    assert [e.reason for e in out.manifest.entries] == ["below_k", "complementary"]


def test_two_small_cells_summing_below_k_take_a_third() -> None:
    t = pl.DataFrame({"c": ["A", "B", "C", "D"], "users": [2, 3, 50, 30]})
    out = suppress_small_cells(t, count_col="users", min_group_size=K).table
    assert out["suppressed"].to_list() == [True, True, False, True]


def test_zero_cells_stay_published_and_are_not_counted_as_small() -> None:
    t = pl.DataFrame({"c": ["A", "B"], "users": [0, 30]})
    out = suppress_small_cells(t, count_col="users", min_group_size=K).table
    assert out["users"].to_list() == [0, 30]


def test_value_columns_are_withheld_with_their_cell() -> None:
    t = pl.DataFrame({"c": ["A", "B", "C"], "users": [5, 12, 30], "median_days": [1.0, 2.0, 3.0]})
    out = suppress_small_cells(t, count_col="users", value_cols=["median_days"]).table
    assert out["median_days"].to_list() == [None, None, 3.0]


def test_manifest_names_cells_but_not_their_values() -> None:
    t = pl.DataFrame({"persona": ["Bargain hunters", "Loyal"], "users": [7, 3]})
    out = suppress_small_cells(t, count_col="users")
    cells = [e.cell for e in out.manifest.entries]
    assert cells == ["persona=Bargain hunters", "persona=Loyal"]
    assert not any("7" in e.note or "3" in e.note for e in out.manifest.entries)


def test_bridge_between_two_blocks_is_caught_by_the_linear_audit() -> None:
    # Withholding B/x alone would be pinned by the row and column totals; the audit must add cover.
    t = pl.DataFrame({"r": ["a", "a", "b", "b"], "c": ["x", "y", "x", "y"], "users": [4, 50, 60, 70]})
    margins = [("r",), ("c",)]
    out = suppress_small_cells(t, count_col="users", margins=margins).table
    assert derivable_cells(out, margins=margins) == []
    assert out["suppressed"].sum() == 4


def test_a_total_below_k_is_reported_as_not_publishable() -> None:
    t = pl.DataFrame({"r": ["a", "a"], "users": [3, 4]})
    out = suppress_small_cells(t, count_col="users", margins=[("r",)])
    assert [(e.cell, e.reason) for e in out.manifest.entries if e.reason == "dropped"] == [("total of r=a", "dropped")]


def test_invalid_count_column_is_rejected_with_its_name() -> None:
    with pytest.raises(AnalysisError, match="users"):
        suppress_small_cells(pl.DataFrame({"users": [1.5]}), count_col="users")


@st.composite
def tables(draw: st.DrawFn) -> pl.DataFrame:
    rows = draw(st.integers(1, 5))
    cols = draw(st.integers(1, 5))
    values = draw(st.lists(st.sampled_from([0, 1, 2, 4, 7, 9, 10, 11, 15, 30, 80]),
                           min_size=rows * cols, max_size=rows * cols))
    # every row and column total is at least k, as in a snapshot (groups below k are folded away first)
    values = [v + 30 if (i == 0 or j == 0) else v
              for (i, j), v in zip(((i, j) for i in range(rows) for j in range(cols)), values, strict=True)]
    return pl.DataFrame({
        "r": [f"r{i}" for i in range(rows) for _ in range(cols)],
        "c": [f"c{j}" for _ in range(rows) for j in range(cols)],
        "users": pl.Series(values, dtype=pl.Int64),
    })


MARGINS = [("r",), ("c",), ()]


@settings(max_examples=150, deadline=None)
@given(tables())
def test_no_published_cell_is_below_k(t: pl.DataFrame) -> None:
    out = suppress_small_cells(t, count_col="users", margins=MARGINS).table
    published = out["users"].drop_nulls()
    assert ((published == 0) | (published >= K)).all()


@settings(max_examples=150, deadline=None)
@given(tables())
def test_no_withheld_cell_is_derivable_by_differencing(t: pl.DataFrame) -> None:
    result = suppress_small_cells(t, count_col="users", margins=MARGINS)
    out = result.table.with_columns(original=t["users"])
    assert not [e for e in result.manifest.entries if e.reason == "dropped"]
    for margin in MARGINS:
        keys = list(margin) or None
        lines = out.group_by(keys or pl.lit(0).alias("all")).agg(
            total=pl.col("original").sum(), published=pl.col("users").sum(),
            n_sup=pl.col("suppressed").sum(), sup_sum=pl.col("original").filter(pl.col("suppressed")).sum(),
        )
        # total minus the published siblings never equals a single withheld cell ...
        assert (lines["n_sup"] != 1).all()
        # ... and never describes fewer than k people
        assert ((lines["sup_sum"] == 0) | (lines["sup_sum"] >= K)).all()
    assert derivable_cells(result.table, margins=MARGINS) == []


# --- folding and funnels -----------------------------------------------------------------------------------

def test_fold_small_categories_per_group() -> None:
    t = pl.DataFrame({"persona": ["P", "P", "P", "Q"], "path": ["A", "B", "C", "A"], "users": [40, 6, 5, 30]})
    out = fold_small_categories(t, category_col="path", count_col="users", by=["persona"])
    expected = pl.DataFrame({"persona": ["P", "P", "Q"], "path": ["A", "Other", "A"], "users": [40, 11, 30]})
    assert_frame_equal(out.table, expected)
    assert [(e.cell, e.note) for e in out.manifest.entries] == [("persona=P", "2 categories merged into 'Other'")]


def test_funnel_steps_with_small_drop_off_are_withheld() -> None:
    f = pl.DataFrame({"persona": ["P"] * 4 + ["Q"] * 2, "step": [0, 1, 2, 3, 0, 1],
                      "users": [100, 95, 60, 60, 30, 8]})
    out = suppress_funnel_steps(f, count_col="users", step_col="step", by=["persona"]).table
    assert out["users"].to_list() == [100, None, 60, 60, 30, None]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 40), min_size=1, max_size=6))
def test_published_funnel_counts_and_their_differences_are_zero_or_at_least_k(drops: list[int]) -> None:
    counts = np.cumsum([0, *drops])[::-1][: len(drops)] + 3
    f = pl.DataFrame({"step": list(range(len(counts))), "users": pl.Series(counts, dtype=pl.Int64)})
    published = suppress_funnel_steps(f, count_col="users", step_col="step").table["users"].drop_nulls()
    assert (published >= K).all()
    gaps = published.diff().drop_nulls().abs()
    assert ((gaps == 0) | (gaps >= K)).all()


# --- text, time, pseudonyms ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("raw", "escaped"),
    [("</script><script>alert(1)</script>", "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;"),
     ('<a href="javascript:alert(1)">x</a>', "&lt;a href=&#34;javascript:alert(1)&#34;&gt;x&lt;/a&gt;"),
     ("$\\href{javascript:alert(1)}{x}$", "&#36;\\href{javascript:alert(1)}{x}&#36;"),
     ("<b>bold</b><br>", "&lt;b&gt;bold&lt;/b&gt;&lt;br&gt;")],
)
def test_escape_text_leaves_no_markup(raw: str, escaped: str) -> None:
    assert escape_text(raw) == escaped


def test_escape_column_matches_escape_text() -> None:
    texts = ['<a href="x">\'$&</a>', "plain", None]
    out = pl.DataFrame({"t": texts}).select(escape_column("t"))["t"].to_list()
    assert out == [escape_text(t) if t is not None else None for t in texts]


def test_strip_url_query_keeps_campaign_tags_only() -> None:
    df = pl.DataFrame({"u": ["https://a.de/p?q=anna%40x.de&utm_medium=cpc&gclid=1#f", "https://a.de/?token=s"]})
    assert df.select(strip_url_query("u"))["u"].to_list() == ["https://a.de/p?utm_medium=cpc&gclid=1",
                                                              "https://a.de/"]


def test_coarsen_timestamps_to_day_and_week() -> None:
    t = pl.DataFrame({"t": [datetime(2026, 3, 5, 23, 59, tzinfo=UTC)]})
    assert t.select(coarsen_timestamps("t"))["t"].to_list() == [date(2026, 3, 5)]
    assert t.select(coarsen_timestamps("t", every="week"))["t"].to_list() == [date(2026, 3, 2)]


def test_pseudonyms_depend_on_the_key_and_hide_the_id() -> None:
    ids = pl.Series("user_id", ["anna@example.de", "u2", "anna@example.de"])
    a = pseudonymise(ids, b"a" * 32)
    b = pseudonymise(ids, b"b" * 32)
    assert a[0] == a[2] and a[0] != a[1]
    assert a[0] != b[0]
    assert "anna" not in "".join(a.to_list())


def test_short_keys_are_rejected() -> None:
    with pytest.raises(AnalysisError, match="16"):
        pseudonymise(pl.Series(["x"]), b"short")


def test_manifest_round_trips_through_dict() -> None:
    m = SuppressionManifest(12).add("personas", "persona=X", "below_k", "n")
    assert SuppressionManifest.from_dict(m.to_dict()) == m


@pytest.mark.parametrize(
    ("text", "visible"),
    [
        ("[x](https://evil.example)", r"\[x\]\(https\:\/\/evil\.example\)"),
        ("![img](http://evil.example/p.png)", r"\!\[img\]\(http\:\/\/evil\.example\/p\.png\)"),
        ("**bold** <b>tag</b>", r"\*\*bold\*\* \<b\>tag\<\/b\>"),
        ("mail me@evil.example or www.evil.example", r"mail me\@evil\.example or www\.evil\.example"),
        ("plain words", "plain words"),
    ],
)
def test_escape_markdown_leaves_no_live_markup(text: str, visible: str) -> None:
    escaped = escape_markdown(text)
    assert escaped.replace("\u2060", "") == visible
    assert "http" not in escaped.lower() and "www" not in escaped.lower()  # autolink triggers are broken
