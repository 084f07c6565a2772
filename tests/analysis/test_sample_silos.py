"""The CRM and shop exports of the sample: shipped as generated, and their planted truth recovered end to end."""

from __future__ import annotations

import polars as pl
import pytest

from analysis.ingest.people import load_people
from analysis.prepare import prepare
from analysis.prepare.identity import overlap_report
from analysis.sample import load_sample
from analysis.sample_silos import CRM_PATH, SHOP_PATH, SilosTruth, generate_silos

KEY = b"s" * 32


@pytest.fixture(scope="module")
def loaded() -> tuple[pl.DataFrame, pl.DataFrame, SilosTruth]:
    truth = generate_silos().truth
    crm = load_people(CRM_PATH, key=KEY)
    shop = load_people(SHOP_PATH, key=KEY)
    assert crm.people is not None and shop.people is not None
    events = pl.concat([load_sample(), crm.events, shop.events], how="diagonal_relaxed")
    return events, pl.concat([crm.people, shop.people], how="diagonal_relaxed"), truth


def test_shipped_exports_equal_generator_output() -> None:
    silos = generate_silos()
    assert CRM_PATH.read_bytes() == silos.crm_csv
    assert SHOP_PATH.read_bytes() == silos.shop_csv


def test_every_planted_combination_of_sources_is_recovered(
    loaded: tuple[pl.DataFrame, pl.DataFrame, SilosTruth],
) -> None:
    events, people, truth = loaded
    overlap, resolved = overlap_report(events, people=people)
    names = {"web events": "web", "crm_kontakte.csv": "CRM", "shop_orders.csv": "shop"}
    found = {}
    for combination, n in overlap.select("combination", "people").iter_rows():
        parts = sorted((names[p] for p in combination.split(" + ")), key=["web", "CRM", "shop"].index)
        found[" + ".join(parts) if len(parts) > 1 else f"{parts[0]} only"] = n
    assert found == truth.combinations
    # the placeholder e-mail of the store till is cut, and said so
    cut = resolved.graph.cuts.filter(pl.col("id_type") == "email").rows(named=True)
    assert cut == [{"id_type": "email", "reason": "overlinked", "identifiers": 1, "links_cut": 15}]


def test_the_planted_best_segment_converts_best_online(
    loaded: tuple[pl.DataFrame, pl.DataFrame, SilosTruth],
) -> None:
    events, people, truth = loaded
    prepared = prepare(events, people=people)
    web = prepared.filter(pl.col("source_file").is_null() & pl.col("Segment").is_not_null())
    rates = (web.group_by("user_id", "Segment").agg((pl.col("event") == "purchase").any().alias("bought"))
             .group_by("Segment").agg(pl.col("bought").mean()).sort("bought", descending=True))
    assert rates["Segment"][0] == truth.best_segment == "Stammkunde"
    assert not {"email", "phone", "customer_id"} & set(prepared.columns)
