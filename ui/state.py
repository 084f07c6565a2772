"""Session-state keys, defined once and page-prefixed; initialise with ``st.session_state.setdefault``."""

from __future__ import annotations

DATASET = "data.active"  # the active ui.data.Dataset
DATE_RANGE = "global.date_range"  # (start, end) dates picked in the sidebar
CHANNEL_RULES = "global.channel_rules"  # edited channel-rule table (pl.DataFrame); absent = shipped GA4 defaults
REDERIVE_CHANNELS = "global.rederive_channels"  # replace the data's own channel column with the rules' result
COHORT_IDS = "global.cohort_ids"  # frozenset[str] of person ids (user_id, else anonymous_id): a session-wide filter
COHORT_LABEL = "global.cohort_label"  # str: which people the cohort holds ("dropped at step 2 (add_to_cart), …")
COHORT_DIGEST = "global.cohort_digest"  # short content digest of COHORT_IDS, a cache-key part
PERSONA_LABELS = "global.persona_labels"  # pl.DataFrame user_id, persona: exported on Personas, a breakdown column
PERSONA_FIT = "global.persona_fit"  # dict: the recipe parameters that refit the personas of PERSONA_LABELS
PERSONA_DIGEST = "global.persona_digest"  # short content digest of PERSONA_LABELS, a cache-key part
ENGINE = "global.engine"  # "polars" (default) or "spark": which engine prepares the events (sidebar)
SPARK_ADDRESS = "global.spark_address"  # str: Spark master URL or sc:// address typed in the sidebar ("" = default)
CONVERSION_EVENTS = "global.conversion_events"  # tuple of event names: what counts as a conversion in this dataset
#: Page settings that start from CONVERSION_EVENTS and follow it until the page changes them (then the page says so).
CONVERSION_FOLLOWERS = ("journeys.conversion_events", "attribution.conversion_events", "personas.conversion_events",
                        "snapshots.conversion_events")
#: Page settings that start from the suggested main funnel and follow it the same way.
FUNNEL_FOLLOWERS = ("funnels.funnel_steps", "snapshots.funnel_steps")
#: Page settings whose default is read from the data itself (the currency its amounts are in): forgotten with it, so
#: a GA4 export in US dollars opened after the euro sample shows $, not the sample's €.
DATA_FOLLOWERS = ("attribution.currency",)
LINK_MISSING = "data.link_missing"  # the dataset key of an opened link whose data is not on this server
OWN_KEYS = "data.library_keys"  # set of library keys this session created (forgotten with "Forget this data")
KEPT = "global.kept_settings"  # set of page-setting keys kept alive across page switches (see ui.share.keep_alive)
LINK_FOR_OTHER_DATA = "share.dataset_mismatch"  # True when the opened link was made for data not in view
