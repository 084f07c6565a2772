"""The identity graph: chains join, shared devices, junk identifiers and conflicts do not; order never matters."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.prepare.identity import IdentityRules, identity_graph, resolve_identities, stitch_identities
from tests.analysis._events import frame


def people(graph_nodes: pl.DataFrame) -> dict[tuple[str, str], str]:
    return {(t, v): p for t, v, p in graph_nodes.iter_rows()}


def test_chain_web_id_email_customer_number_is_one_person() -> None:
    web = frame(user_id=["u1"], email=["e1"])
    shop = frame(email=["e1"], customer_id=["K1"])
    crm = frame(customer_id=["K1"], phone=["p1"])
    graph = identity_graph([web, shop, crm])
    assert people(graph.nodes) == {("user_id", "u1"): "u1", ("customer_id", "K1"): "u1",
                                   ("email", "e1"): "u1", ("phone", "p1"): "u1"}
    assert graph.cuts.height == 0


def test_without_a_user_id_the_customer_number_keys_the_person() -> None:
    graph = identity_graph([frame(customer_id=["K2"], email=["e2"]), frame(email=["e2"], phone=["p2"])])
    assert set(graph.nodes["person"]) == {"customer:K2"}


def test_shared_device_joins_neither_user() -> None:
    events = frame(user_id=["u1", "u2", None], anonymous_id=["a1", "a1", "a1"], timestamp=[0, 10, 20],
                   event=["login", "login", "page_view"], email=["e1", "e2", None])
    graph = identity_graph([events])
    assert people(graph.nodes) == {("user_id", "u1"): "u1", ("user_id", "u2"): "u2", ("email", "e1"): "u1",
                                   ("email", "e2"): "u2", ("anonymous_id", "a1"): "a1"}
    assert graph.cuts.rows(named=True) == [{"id_type": "anonymous_id", "reason": "conflict", "identifiers": 1,
                                            "links_cut": 2}]
    # the device's anonymous event still goes to the user active at the time (the stitching rule)
    assert resolve_identities(events).events["user_id"].to_list() == ["u1", "u2", "u2"]


def test_junk_email_linking_many_customers_is_cut_out() -> None:
    crm = frame(customer_id=[f"K{i}" for i in range(12)] + ["K20"], email=["unknown@example.com"] * 12 + ["e20"],
                phone=[None] * 12 + ["p20"])
    shop = frame(email=["unknown@example.com", "e20"], user_id=["u9", "u20"])
    graph = identity_graph([crm, shop], rules=IdentityRules(max_links=10))
    nodes = people(graph.nodes)
    # every customer keeps to itself, the junk e-mail is alone, u9 is not merged with anyone
    assert {nodes[("customer_id", f"K{i}")] for i in range(12)} == {f"customer:K{i}" for i in range(12)}
    assert nodes[("email", "unknown@example.com")] == "email:unknown@example.com"
    assert nodes[("user_id", "u9")] == "u9"
    assert nodes[("customer_id", "K20")] == nodes[("phone", "p20")] == "u20"
    assert graph.cuts.rows() == [("email", "overlinked", 1, 13)]


def test_the_max_links_rule_is_settable() -> None:
    data = frame(email=["x", "x", "x"], phone=["p1", "p2", "p3"])
    assert identity_graph([data], rules=IdentityRules(max_links=3)).nodes["person"].n_unique() == 1
    assert identity_graph([data], rules=IdentityRules(max_links=2)).nodes["person"].n_unique() == 4


def test_conflicting_links_are_reported_not_merged() -> None:
    crm = frame(customer_id=["K1"], email=["e1"])
    shop = frame(customer_id=["K2"], email=["e1"])
    graph = identity_graph([crm, shop])
    assert people(graph.nodes) == {("customer_id", "K1"): "customer:K1", ("customer_id", "K2"): "customer:K2",
                                   ("email", "e1"): "email:e1"}
    assert graph.cuts.rows() == [("email", "conflict", 1, 2)]
    assert graph.links.rows() == [("customer_id", "email", 0, 2)]


def test_a_long_chain_between_two_user_ids_is_split_at_the_middle() -> None:
    # u1 - e1 - K1 - e2 - u2: no single identifier sees two user ids, the component does
    data = [frame(user_id=["u1"], email=["e1"]), frame(customer_id=["K1", "K1"], email=["e1", "e2"]),
            frame(user_id=["u2"], email=["e2"])]
    graph = identity_graph(data)
    assert people(graph.nodes) == {("user_id", "u1"): "u1", ("user_id", "u2"): "u2", ("email", "e1"): "u1",
                                   ("email", "e2"): "u2", ("customer_id", "K1"): "customer:K1"}
    assert graph.split_people == 1


def test_events_and_people_get_the_same_person() -> None:
    web = frame(user_id=[None, "u1"], anonymous_id=["a1", "a1"], timestamp=[0, 1], event=["page_view", "login"])
    crm = frame(customer_id=["K1"], user_id=["u1"], email=["e1"])
    orders = frame(email=["e1"], timestamp=[5], event=["purchase"])
    events = pl.concat([web, orders], how="diagonal")
    resolved = resolve_identities(events, people=crm)
    assert resolved.events["user_id"].to_list() == ["u1", "u1", "u1"]
    assert resolved.people is not None and resolved.people["person"].to_list() == ["u1"]


def test_an_identifier_column_with_no_value_links_nothing_and_fails_nothing() -> None:
    # an export whose e-mail column is empty throughout reads as a column of type Null, not String
    web = frame(user_id=[None, "u1"], anonymous_id=["a1", "a1"], timestamp=[0, 1], event=["page_view", "login"])
    crm = pl.DataFrame({"customer_id": ["K1", "K2"], "user_id": ["u1", None], "email": [None, None]})
    assert crm.schema["email"] == pl.Null
    resolved = resolve_identities(web, people=crm)
    assert resolved.events["user_id"].to_list() == ["u1", "u1"]
    assert resolved.people is not None and resolved.people["person"].to_list() == ["u1", "customer:K2"]
    assert people(resolved.graph.nodes) == {("user_id", "u1"): "u1", ("customer_id", "K1"): "u1",
                                            ("anonymous_id", "a1"): "u1"}


_IDS = st.sampled_from(["u1", "u2", "u3", None])
_ANON = st.sampled_from(["a1", "a2", "a3", "a4"])
_MAIL = st.sampled_from(["e1", "e2", "e3", "junk", None])
_CUST = st.sampled_from(["K1", "K2", "K3", None])


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(_IDS, _ANON, _MAIL), min_size=1, max_size=25),
       crm=st.lists(st.tuples(_CUST, _MAIL, _IDS), min_size=1, max_size=15), seed=st.integers(0, 2**16))
def test_shuffling_rows_and_files_changes_no_person_key(
    rows: list[tuple[str | None, str, str | None]], crm: list[tuple[str | None, str | None, str | None]],
    seed: int,
) -> None:
    events = frame(user_id=[r[0] for r in rows], anonymous_id=[r[1] for r in rows],
                   timestamp=list(range(len(rows))), event=["x"] * len(rows), email=[r[2] for r in rows])
    people_ = frame(customer_id=[r[0] for r in crm], email=[r[1] for r in crm], user_id=[r[2] for r in crm])
    rules = IdentityRules(max_links=2)
    first = identity_graph([events, people_], rules=rules)
    second = identity_graph([people_.sample(fraction=1.0, shuffle=True, seed=seed),
                             events.sample(fraction=1.0, shuffle=True, seed=seed + 1)], rules=rules)
    assert first.nodes.sort("id_type", "value").equals(second.nodes.sort("id_type", "value"))
    assert first.cuts.equals(second.cuts) and first.links.equals(second.links)


@settings(max_examples=40, deadline=None)
@given(rows=st.lists(st.tuples(_IDS, _ANON, st.integers(0, 50)), min_size=1, max_size=30))
def test_on_events_alone_the_graph_gives_exactly_the_stitching_result(
    rows: list[tuple[str | None, str, int]],
) -> None:
    events = frame(user_id=[r[0] for r in rows], anonymous_id=[r[1] for r in rows],
                   timestamp=[r[2] for r in rows], event=["x"] * len(rows))
    assert resolve_identities(events).events.equals(stitch_identities(events))
