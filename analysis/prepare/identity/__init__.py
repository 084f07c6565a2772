"""Identity: who is behind each event and people record.

- ``stitch``: the device rule (anonymous events go to the user active on the device).
- ``graph``: the identity graph over every identifier column; people are its components; the false-merge rule.
- ``resolve``: person keys for events and people records.
- ``attributes``: people attributes per person, conflicts counted.
- ``overlap``: people per combination of sources.
- ``contact``: e-mail and phone normalisation before hashing.
"""

from __future__ import annotations

from analysis.prepare.identity.attributes import AttributeReport, people_attributes
from analysis.prepare.identity.graph import (
    CUSTOMER_ID,
    DEVICE_TYPES,
    EMAIL,
    ID_TYPES,
    PHONE,
    IdentityGraph,
    IdentityRules,
    identity_graph,
)
from analysis.prepare.identity.overlap import EVENTS_SOURCE, overlap_report, source_overlap
from analysis.prepare.identity.resolve import SOURCE_FILE, Resolved, resolve_identities
from analysis.prepare.identity.stitch import StitchStats, stitch_identities, stitch_stats

__all__ = [
    "CUSTOMER_ID",
    "DEVICE_TYPES",
    "EMAIL",
    "EVENTS_SOURCE",
    "ID_TYPES",
    "PHONE",
    "SOURCE_FILE",
    "AttributeReport",
    "IdentityGraph",
    "IdentityRules",
    "Resolved",
    "StitchStats",
    "identity_graph",
    "overlap_report",
    "people_attributes",
    "resolve_identities",
    "source_overlap",
    "stitch_identities",
    "stitch_stats",
]
