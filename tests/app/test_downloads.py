"""Table downloads (AppTest): every table is offered as formula-safe CSV; cohorts, the attribution table and persona
assignments also as Parquet."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app.apptest import open_app
from ui import attribution as ua
from ui import personas as up


def open_page(page: str, **seed: object) -> AppTest:
    return open_app(page, **seed)


def _download_keys(at: AppTest) -> set[str]:
    return {b.key for b in at.get("download_button")}


def test_funnels_offers_the_table_as_csv_and_the_cohort_as_csv_and_parquet() -> None:
    keys = _download_keys(open_page("funnels"))
    assert {"funnels.table_download.csv", "funnels.cohort_download.csv", "funnels.cohort_download.parquet"} <= keys
    assert "funnels.table_download.parquet" not in keys


def test_attribution_offers_csv_and_parquet() -> None:
    keys = _download_keys(open_page("attribution", **{ua.N_BOOT: 20, ua.MODELS: ["last_touch"]}))
    assert {"attribution.table_download.csv", "attribution.table_download.parquet"} <= keys


def test_personas_offers_assignments_as_csv_and_parquet() -> None:
    at = open_page("personas", **{up.K_MODE: "fixed", up.K: 3, up.STABILITY_RUNS: 0})
    at.button(key=f"FormSubmitter:{up.FORM}-Find personas").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert {"personas.download.csv", "personas.download.parquet"} <= _download_keys(at)
