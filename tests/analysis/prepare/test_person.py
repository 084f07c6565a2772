"""person_key: the one definition of whose event it is, whichever identifier columns a frame has."""

from __future__ import annotations

import polars as pl
import pytest

from analysis.errors import AnalysisError
from analysis.prepare.person import person_key


def test_user_id_first_then_the_device() -> None:
    ev = pl.DataFrame({"user_id": ["a", None, None], "anonymous_id": ["d1", "d2", None]})
    assert ev.select(person_key(ev.columns)).to_series().to_list() == ["a", "d2", None]


@pytest.mark.parametrize("column", ["user_id", "anonymous_id"])
def test_a_frame_with_one_identifier_uses_it(column: str) -> None:
    ev = pl.DataFrame({column: ["x", None]})
    assert ev.select(person_key(ev.columns)).to_series().to_list() == ["x", None]


def test_no_identifier_column_names_what_is_missing_and_present() -> None:
    with pytest.raises(AnalysisError, match=r"user_id or anonymous_id column .* present: timestamp, event"):
        person_key(["timestamp", "event"])
