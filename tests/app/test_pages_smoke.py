"""Every page renders on the bundled sample without an exception (AppTest, no browser)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.apptest import APP

PAGES = ["app_pages/data.py", "app_pages/journeys.py", "app_pages/funnels.py", "app_pages/attribution.py",
         "app_pages/personas.py", "app_pages/snapshots.py"]


@pytest.mark.parametrize("page", PAGES)
def test_page_renders_without_exception(page: str) -> None:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title, f"{page} shows no title"
