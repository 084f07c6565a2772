"""People files on the Data page: told apart from event files, loaded, joined, and the overlap of sources shown."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from analysis.sample import CRM_PATH, SHOP_PATH
from tests.app.apptest import APP
from ui import ingest
from ui.data import SAMPLE_NAME


@pytest.fixture(autouse=True)
def _key_home(tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOURNEYLENS_HOME", str(tmp_path))  # the machine key is made here, not in ~


def app() -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=240)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_sample_silos_join_the_web_sample_and_show_the_overlap() -> None:
    at = app()
    at.button(key="data.try_people").click().run()
    assert not at.exception, [e.value for e in at.exception]
    summary = next(d.value for d in at.dataframe if "rows_read" in d.value.columns and "orders" in
                   d.value["format"].to_list())
    assert summary["file"].to_list() == ["crm_kontakte.csv", "shop_orders.csv"]
    at.button(key="data.join_people").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.main.text[0].value == f"{SAMPLE_NAME} + crm_kontakte.csv, shop_orders.csv"
    assert any(s.value == "One picture of your people" for s in at.subheader)
    assert [m.value for m in at.metric][-2:] == ["21,800", "4,311"]
    cuts = next(d.value for d in at.dataframe if "identifiers cut" in d.value.columns)
    assert cuts.values.tolist() == [["e-mail", "overlinked", 1, 15]]


def test_an_uploaded_crm_export_is_recognised_as_a_people_file() -> None:
    at = app()
    at.file_uploader(key=ingest.UPLOADER).set_value([("crm.csv", CRM_PATH.read_bytes(), "text/csv"),
                                                      ("shop.csv", SHOP_PATH.read_bytes(), "text/csv")])
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [r.value for r in at.radio if r.label in ("crm.csv", "shop.csv")] == ["people", "people"]
    assert at.button(key="data.join_people") is not None
    assert not at.info  # not "the bundled sample is active": people files are being loaded


def test_people_counts_are_resolved_persons_not_raw_ids() -> None:
    import polars as pl  # noqa: PLC0415

    from analysis.ingest import load_people  # noqa: PLC0415
    from analysis.prepare import prepare  # noqa: PLC0415
    from analysis.sample import load_sample  # noqa: PLC0415

    crm, shop = load_people(CRM_PATH, key=b"k" * 32), load_people(SHOP_PATH, key=b"k" * 32)
    assert crm.people is not None and shop.people is not None
    events = pl.concat([load_sample(), crm.events, shop.events], how="diagonal_relaxed")
    raw_ids = events.get_column("user_id").drop_nulls().n_unique()
    resolved = prepare(events, people=pl.concat([crm.people, shop.people], how="diagonal_relaxed"))
    expected = resolved.get_column("user_id").drop_nulls().n_unique()
    assert expected != raw_ids  # the case matters: raw ids count some people twice
    at = app()
    at.button(key="data.try_people").click().run()
    at.button(key="data.join_people").click().run()
    assert not at.exception, [e.value for e in at.exception]
    people = next(m for m in at.metric if m.label == "People")
    assert people.value == f"{expected:,}"
    assert any(f"· {expected:,} people ·" in c.value for c in at.sidebar.caption)
