"""Channel grouping: GA4 default channel group rules as data, session fill, Unassigned report."""

from __future__ import annotations

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from analysis import schema as s
from analysis.errors import AnalysisError
from analysis.prepare import prepare
from analysis.prepare.channels import (
    RULES_PATH,
    assign_channels,
    load_channel_rules,
    load_source_lists,
    unassigned_report,
    validate_channel_rules,
)
from analysis.sample import Sample
from tests.analysis._events import frame


def _one(source: str | None, medium: str | None, campaign: str | None = None, referrer: str | None = None,
         **extra: str | None) -> str:
    events = frame(
        user_id=["u1"], timestamp=[0], event=["page_view"], source=[source], medium=[medium],
        campaign=[campaign], referrer=[referrer], **{k: [v] for k, v in extra.items()},
    )
    return str(assign_channels(events)[s.CHANNEL].item())


@pytest.mark.parametrize(
    ("source", "medium", "campaign", "expected"),
    [
        ("(direct)", "(none)", None, "Direct"),
        ("direct", "(not set)", None, "Direct"),
        ("google", "cpc", "q4_cross-network_pmax", "Cross-network"),
        ("amazon", "cpc", None, "Paid Shopping"),
        ("partner", "paid", "summer-shop", "Paid Shopping"),
        ("google", "cpc", None, "Paid Search"),
        ("bing", "ppc", None, "Paid Search"),
        ("facebook", "paid_social", None, "Paid Social"),
        ("youtube", "cpv", None, "Paid Video"),
        ("criteo", "display", None, "Display"),
        ("adnetwork", "cpm", None, "Display"),
        ("partner", "retargeting", None, "Paid Other"),
        ("etsy", "referral", None, "Organic Shopping"),
        ("instagram", "social", None, "Organic Social"),
        ("friends", "social-network", None, "Organic Social"),
        ("vimeo", "referral", None, "Organic Video"),
        ("partner", "video", None, "Organic Video"),
        ("duckduckgo", "referral", None, "Organic Search"),
        ("google", "organic", None, "Organic Search"),
        ("newsletter", "email", None, "Email"),
        ("e-mail", "crm", None, "Email"),
        ("awin", "affiliate", None, "Affiliates"),
        ("styleblog.example", "referral", None, "Referral"),
        ("podcast", "audio", None, "Audio"),
        ("sms", "text", None, "SMS"),
        ("app", "web-push", None, "Mobile Push Notifications"),
        ("partner", "qr", None, "Unassigned"),
    ],
)
def test_each_ga4_rule(source: str, medium: str, campaign: str | None, expected: str) -> None:
    assert _one(source, medium, campaign) == expected


def test_values_are_compared_lower_cased_and_trimmed() -> None:
    assert _one("  Google ", "CPC ") == "Paid Search"


def test_source_domain_matches_site_list_by_first_label() -> None:
    assert _one("www.google.de", "organic") == "Organic Search"
    assert _one("m.facebook.com", "referral") == "Organic Social"


def test_nothing_at_all_is_direct() -> None:
    assert _one(None, None) == "Direct"


def test_referrer_only_search_engine_is_organic_search() -> None:
    assert _one(None, None, referrer="https://www.bing.com/search?q=shoes") == "Organic Search"


def test_referrer_only_other_site_is_referral() -> None:
    assert _one(None, None, referrer="https://styleblog.example/post") == "Referral"


def test_gclid_without_utm_is_paid_search() -> None:
    assert _one(None, None, gclid="Cj0KCQ") == "Paid Search"


def test_empty_strings_count_as_missing() -> None:
    assert _one("", " ") == "Direct"


def test_existing_channel_is_kept() -> None:
    events = frame(user_id=["u1", "u1"], timestamp=[0, 1], event=["a", "b"], source=["google", "google"],
                   medium=["cpc", "cpc"], channel=["Partners", None])
    assert assign_channels(events)[s.CHANNEL].to_list() == ["Partners", "Paid Search"]


def test_session_events_without_fields_take_the_landing_channel() -> None:
    events = frame(
        user_id=["u1"] * 4, timestamp=[3, 0, 1, 2], event=["d", "a", "b", "c"],
        source=[None, "newsletter", None, None], medium=[None, "email", None, None],
        session_id=["s2", "s1", "s1", "s2"],
    )
    # s1 lands by email, s2 carries no field at all (Direct); input order is kept
    assert assign_channels(events)[s.CHANNEL].to_list() == ["Direct", "Email", "Email", "Direct"]


def test_prepare_fills_channel_per_session_from_landing_event() -> None:
    events = frame(
        user_id=["u1"] * 4, timestamp=[0, 5, 100, 101], event=["a", "b", "c", "d"],
        source=["google", None, "(direct)", None], medium=["cpc", None, "(none)", None],
    )
    assert prepare(events)[s.CHANNEL].to_list() == ["Paid Search", "Paid Search", "Direct", "Direct"]


def test_edited_rules_are_used() -> None:
    rules = pl.concat([
        pl.DataFrame({"priority": [0], "channel": ["QR codes"], "source": [None], "medium": ["in:qr"],
                      "campaign": [None]}, schema_overrides={"source": pl.String, "campaign": pl.String}),
        load_channel_rules(),
    ], how="diagonal")
    events = frame(user_id=["u1"], timestamp=[0], event=["x"], source=["poster"], medium=["QR"])
    assert assign_channels(events, rules=rules)[s.CHANNEL].item() == "QR codes"


def test_edited_source_lists_are_used() -> None:
    lists = pl.concat([load_source_lists(), pl.DataFrame({"list": ["search"], "source": ["kagi"]})])
    events = frame(user_id=["u1"], timestamp=[0], event=["x"], source=["kagi.com"], medium=["referral"])
    assert assign_channels(events, source_lists=lists)[s.CHANNEL].item() == "Organic Search"


def test_bad_rule_cell_names_row_and_operators() -> None:
    rules = load_channel_rules().with_columns(
        pl.when(pl.col("priority") == 1).then(pl.lit("equals:x")).otherwise(pl.col("source")).alias("source")
    )
    events = frame(user_id=["u1"], timestamp=[0], event=["x"], source=["a"], medium=["b"])
    with pytest.raises(AnalysisError, match=r"row 1, column 'source'.*'equals:x'.*in, re"):
        assign_channels(events, rules=rules)


def test_unknown_site_list_is_an_error() -> None:
    rules = load_channel_rules().with_columns(pl.col("source").str.replace("list:search", "list:engines"))
    events = frame(user_id=["u1"], timestamp=[0], event=["x"], source=["a"], medium=["b"])
    with pytest.raises(AnalysisError, match="no site list 'engines'"):
        assign_channels(events, rules=rules)


def test_rules_missing_columns_are_an_error() -> None:
    events = frame(user_id=["u1"], timestamp=[0], event=["x"], source=["a"], medium=["b"])
    with pytest.raises(AnalysisError, match="lack the column"):
        assign_channels(events, rules=load_channel_rules().drop("medium"))


def test_unassigned_report_ranks_offending_pairs() -> None:
    events = frame(
        user_id=["u1"] * 4, timestamp=[0, 1, 2, 3], event=["x"] * 4,
        source=["Partner", "partner", "poster", "google"], medium=["qr", "qr", "print", "cpc"],
    )
    report = unassigned_report(assign_channels(events))
    expected = pl.DataFrame({"source": ["partner", "poster"], "medium": ["qr", "print"], "events": [2, 1],
                             "share": [0.5, 0.25]})
    assert (report.events, report.unassigned, report.share) == (4, 3, 0.75)
    assert_frame_equal(report.pairs, expected)


def test_sample_fields_map_back_to_planted_channels(small_sample: Sample) -> None:
    events = small_sample.events
    assigned = assign_channels(events.drop(s.CHANNEL))
    assert (assigned[s.CHANNEL] == events[s.CHANNEL]).all()


def test_rules_are_versioned_data() -> None:
    rules = load_channel_rules()
    assert rules["priority"].dtype == pl.Int64
    assert rules.filter(pl.col("priority") == 4)["channel"].unique().to_list() == ["Paid Search"]
    assert RULES_PATH.read_text().startswith("# JourneyLens channel rules v1")


def test_validate_channel_rules_names_the_row() -> None:
    rules = pl.concat([load_channel_rules(), pl.DataFrame({"priority": [30], "channel": ["Partners"]})],
                      how="diagonal")
    with pytest.raises(AnalysisError, match=r"row \d+ \(Partners\) has no condition"):
        validate_channel_rules(rules)


def test_referral_medium_wins_over_email_source_as_in_google_order() -> None:
    assert _one("email", "referral") == "Referral"
