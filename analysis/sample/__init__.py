"""The seeded sample generators with planted truth: test fixtures, benchmark inputs and the bundled sample_data/.

Nothing in the app takes a default from here: a page's defaults come from the data (the conversion suggestion) or
from the analyses' own defaults. The generators are ``events`` (web analytics events, personas, channels, the
funnel), ``german`` (the same shop's events saved as German Excel writes a CSV) and ``silos`` (a CRM contact export
and a shop order export that the identity graph links to the web events).

Examples
--------
>>> from analysis.sample import generate_sample
>>> generate_sample(20, seed=1).events.columns[:3]
['user_id', 'anonymous_id', 'timestamp']
"""

from __future__ import annotations

from analysis.sample.events import (
    BROWSE_EVENTS,
    CHANNEL_EFFECTS,
    CHANNELS,
    COUNTRIES,
    DEVICES,
    FUNNEL_STEPS,
    PERSONA_NAMES,
    PERSONAS,
    SAMPLE_PATH,
    SAMPLE_SEED,
    SAMPLE_USERS,
    STRONGEST_CHANNEL,
    WORST_STEP,
    Persona,
    Sample,
    SampleTruth,
    generate_sample,
    iter_sample_chunks,
    load_sample,
    write_sample_parquet,
)
from analysis.sample.german import (
    GERMAN_EXPORT_PATH,
    GERMAN_EXPORT_USERS,
    GERMAN_HEADERS,
    to_german_excel_csv,
    write_german_export,
)
from analysis.sample.silos import CRM_PATH, SHOP_PATH, SILOS_SEED, Silos, SilosTruth, generate_silos, write_silos

__all__ = [
    "BROWSE_EVENTS",
    "CHANNELS",
    "CHANNEL_EFFECTS",
    "COUNTRIES",
    "CRM_PATH",
    "DEVICES",
    "FUNNEL_STEPS",
    "GERMAN_EXPORT_PATH",
    "GERMAN_EXPORT_USERS",
    "GERMAN_HEADERS",
    "PERSONAS",
    "PERSONA_NAMES",
    "SAMPLE_PATH",
    "SAMPLE_SEED",
    "SAMPLE_USERS",
    "SHOP_PATH",
    "SILOS_SEED",
    "STRONGEST_CHANNEL",
    "WORST_STEP",
    "Persona",
    "Sample",
    "SampleTruth",
    "Silos",
    "SilosTruth",
    "generate_sample",
    "generate_silos",
    "iter_sample_chunks",
    "load_sample",
    "to_german_excel_csv",
    "write_german_export",
    "write_sample_parquet",
    "write_silos",
]
