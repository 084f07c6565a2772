"""The bundled sample's other two silos: a CRM contact export and a shop order export, with planted truth.

Web analytics (``sample_data/events.parquet``) knows a person by the shop account (``user_id``); the CRM by its own
customer number and an e-mail; the shop's order export by the account (when the buyer was logged in) and an e-mail
or a phone (store and guest orders). Nothing but the identity graph joins them:

* **web + CRM + shop** (:attr:`SilosTruth.linked`): CRM contacts who have a web account. Each has one store order
  in the shop export carrying their account and their e-mail, spelt differently from the CRM (case, blanks), so
  the chain is web id - e-mail - customer number.
* **CRM + shop**: offline customers whose store order carries their e-mail, or only their phone in another
  notation (``+49 171 …`` in the CRM, ``0171/…`` at the till).
* **CRM only**: contacts without order or web account. **Shop only**: guest orders of people the CRM does not know.
* **Junk**: store orders typed in with the placeholder ``unknown@example.com`` and a web account each; the
  false-merge rule must cut the placeholder, leaving each order with its own web person (web + shop).
* **Segment**: CRM contacts with a web account are ``Stammkunde`` (regular) with probability 0.6 if they bought
  online, 0.15 if not, so regulars convert best online (:attr:`SilosTruth.best_segment`).

The CRM export is written the way German Excel saves it (cp1252, ``;``, CRLF, German headers, decimal comma,
``DD.MM.YYYY`` dates); the shop export as a typical e-commerce CSV (UTF-8, ISO times in UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

from analysis import schema as s
from analysis.sample.events import SAMPLE_PATH, Sample, generate_sample

CRM_PATH = SAMPLE_PATH.with_name("crm_kontakte.csv")
SHOP_PATH = SAMPLE_PATH.with_name("shop_orders.csv")
SILOS_SEED = 11
LINKED_SHARE = 0.2  # of the web's known accounts, how many the CRM holds
OFFLINE_CONTACTS = 1_500
SHOP_ONLY_ORDERS = 300
JUNK_ORDERS = 15
JUNK_EMAIL = "unknown@example.com"
SEGMENTS = ("Stammkunde", "Neukunde", "Gelegenheitskäufer")
STAGES = ("Lead", "Interessent", "Kunde")
REGIONS = ("Nord", "Süd", "West", "Ost")
_ORDER_START = datetime(2026, 9, 1, tzinfo=UTC)
_ORDER_DAYS = 60


@dataclass(frozen=True)
class SilosTruth:
    """What the silos plant: people per combination of sources and the segment that converts best online."""

    combinations: dict[str, int]
    linked: int
    best_segment: str
    junk_email: str


@dataclass(frozen=True)
class Silos:
    """The two exports as bytes, ready to upload or write, and their truth."""

    crm_csv: bytes
    shop_csv: bytes
    truth: SilosTruth


def generate_silos(web: Sample | None = None, *, seed: int = SILOS_SEED) -> Silos:
    """CRM and shop exports that link to the web sample (``generate_sample()`` by default).

    Examples
    --------
    >>> from analysis.sample import generate_sample
    >>> silos = generate_silos(generate_sample(300, seed=1))
    >>> silos.crm_csv.decode("cp1252").splitlines()[0]
    'Kundennummer;E-Mail;Telefon;Segment;Lebenszyklus;Kunde seit;Region;Kundenwert'
    >>> silos.truth.best_segment
    'Stammkunde'
    """
    sample = web or generate_sample()
    everyone = sample.truth.users
    # only accounts the web export shows (some people never log in) can be linked to it
    seen = sample.events[s.USER_ID].drop_nulls().unique()
    users = everyone.filter(pl.col(s.USER_ID).is_in(seen.implode())).sort(s.USER_ID)
    rng = np.random.default_rng(seed)
    linked = users.filter(pl.Series(rng.random(users.height) < LINKED_SHARE))
    others = users.join(linked, on="user_id", how="anti")
    n_link, n_off = linked.height, OFFLINE_CONTACTS
    n = n_link + n_off
    number = rng.permutation(np.arange(100_000, 100_000 + n))
    converted = np.r_[linked["converted"].to_numpy(), np.zeros(n_off, dtype=bool)]
    regular = rng.random(n) < np.where(converted, 0.6, 0.15)
    segment = np.where(regular, SEGMENTS[0], np.where(rng.random(n) < 0.5, SEGMENTS[1], SEGMENTS[2]))
    stage = np.where(converted | regular, STAGES[2], np.array(STAGES)[rng.integers(0, 3, n)])
    since = np.datetime64("2023-01-01") + rng.integers(0, 1_000, n).astype("timedelta64[D]")
    mobile = 1_700_000_000 + rng.permutation(n)
    crm = pl.DataFrame({
        "Kundennummer": [f"K{x}" for x in number],
        "E-Mail": [f"kunde{x}@beispiel.de" for x in number],
        "Telefon": [f"+49 {str(m)[:3]} {str(m)[3:]}" for m in mobile],
        "Segment": segment,
        "Lebenszyklus": stage,
        "Kunde seit": pl.Series(since).dt.strftime("%d.%m.%Y"),
        "Region": np.array(REGIONS)[rng.integers(0, len(REGIONS), n)],
        "Kundenwert": [f"{v:,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
                       for v in rng.lognormal(5, 1, n)],
    }).with_columns(pl.when(pl.col("Lebenszyklus") != "Kunde").then(None).otherwise(pl.col("Kunde seit"))
                    .alias("Kunde seit"))
    # shop orders: one store order per linked contact (account + e-mail), offline contacts by e-mail or phone
    off = np.arange(n_link, n)
    by_mail = off[rng.random(n_off) < 0.5]
    rest = np.setdiff1d(off, by_mail)
    by_phone = rest[rng.random(rest.size) < 0.3]
    account = [*linked["user_id"].to_list(), *([None] * (by_mail.size + by_phone.size))]
    email = [f" Kunde{x}@Beispiel.DE" for x in number[:n_link]] + [f"KUNDE{x}@beispiel.de " for x in
                                                                    number[by_mail]] + [None] * by_phone.size
    phone = [None] * (n_link + by_mail.size) + [f"0{str(m)[:3]}/{str(m)[3:]}" for m in mobile[by_phone]]
    junk_accounts = others["user_id"].sample(JUNK_ORDERS, seed=seed).sort().to_list()
    account += [None] * SHOP_ONLY_ORDERS + junk_accounts
    email += [f"gast{i}@example.org" for i in range(SHOP_ONLY_ORDERS)] + [JUNK_EMAIL] * JUNK_ORDERS
    phone += [None] * (SHOP_ONLY_ORDERS + JUNK_ORDERS)
    orders = len(account)
    created = _ORDER_START + pl.Series(rng.integers(0, _ORDER_DAYS * 86_400, orders) * 1_000_000).cast(
        pl.Duration("us"))
    shop = pl.DataFrame({
        "Order ID": [f"#{5000 + i}" for i in rng.permutation(orders)],
        "Customer Account": account, "Email": email, "Phone": phone,
        "Created at": created.dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "Total": np.round(rng.lognormal(4.2, 0.5, orders), 2),
        "Store": np.array(["Berlin", "Hamburg", "München", "Köln"])[rng.integers(0, 4, orders)],
    }).sort("Order ID")
    web_people = everyone.height
    combinations = {
        "web + CRM + shop": n_link,
        "CRM + shop": int(by_mail.size + by_phone.size),
        "CRM only": int(n_off - by_mail.size - by_phone.size),
        "shop only": SHOP_ONLY_ORDERS,
        "web + shop": JUNK_ORDERS,
        "web only": web_people - n_link - JUNK_ORDERS,
    }
    rate = pl.DataFrame({"segment": segment[:n_link], "converted": converted[:n_link]}).group_by("segment").agg(
        pl.col("converted").mean()).sort("converted", descending=True)
    truth = SilosTruth(combinations=combinations, linked=n_link, best_segment=rate["segment"][0],
                       junk_email=JUNK_EMAIL)
    crm_text = crm.write_csv(separator=";", line_terminator="\r\n")
    return Silos(crm_csv=crm_text.encode("cp1252"), shop_csv=shop.write_csv().encode(), truth=truth)


def write_silos(crm_path: str | Path = CRM_PATH, shop_path: str | Path = SHOP_PATH) -> SilosTruth:
    """Write the bundled CRM and shop exports next to the web sample; return their truth."""
    silos = generate_silos()
    Path(crm_path).write_bytes(silos.crm_csv)
    Path(shop_path).write_bytes(silos.shop_csv)
    return silos.truth
