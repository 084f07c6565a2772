"""Session-state keys, defined once and page-prefixed; initialise with ``st.session_state.setdefault``."""

from __future__ import annotations

DATASET = "data.active"  # the active ui.data.Dataset
DATE_RANGE = "global.date_range"  # (start, end) dates picked in the sidebar
SESSION_GAP_MINUTES = "global.session_gap_minutes"
CHANNEL_RULES = "global.channel_rules"  # edited channel-rule table (pl.DataFrame); absent = shipped GA4 defaults
REDERIVE_CHANNELS = "global.rederive_channels"  # replace the data's own channel column with the rules' result
