"""Every widget's options come from analysis.vocabulary, and every option has exactly one label."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from analysis import vocabulary as v
from analysis.attribution import LABELS as MODEL_LABELS
from ui import attribution as ua
from ui import funnels as uf
from ui import personas as up
from ui.data import ENGINE_LABELS


@pytest.mark.parametrize(("labels", "choices"), [
    (uf.MODE_LABELS, v.FUNNEL_MODES), (uf.COUNTING_LABELS, v.COUNTINGS), (uf.ANCHOR_LABELS, v.ANCHORS),
    (uf.ATTRIBUTION_LABELS, v.FUNNEL_ATTRIBUTIONS), (uf.ENTRY_LABELS, v.ENTRIES), (uf.COHORT_LABELS, v.WHOS),
    (uf.EVERY_LABELS, v.EVERIES),
    (up.ALGORITHM_LABELS, v.ALGORITHMS), (up.GROUP_LABELS, v.FEATURE_GROUPS), (up.WEIGHTING_LABELS, v.EVENT_WEIGHTINGS),
    (up.REDUCTION_LABELS, v.REDUCTIONS), (up.PROJECTION_LABELS, v.PROJECTIONS), (ua.TOUCH_LABELS, v.TOUCHES),
    (ua.METRIC_LABELS, v.METRICS), (ENGINE_LABELS, v.ENGINES), (MODEL_LABELS, v.MODELS),
])
def test_every_choice_has_one_label_in_the_vocabularys_order(labels: Mapping[str, str],
                                                              choices: Sequence[str]) -> None:
    assert list(labels) == list(choices)


def test_share_links_accept_exactly_the_vocabularys_choices() -> None:
    funnels = uf.share_choices([])  # no breakdown columns needed for the fixed choices
    assert (funnels[uf.MODE], funnels[uf.ENTRY], funnels[uf.COHORT_WHO]) == (
        list(v.FUNNEL_MODES), list(v.ENTRIES), list(v.WHOS))
