"""Open the app under AppTest as a user would (through app.py), optionally on a page, with session state seeded."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = Path(__file__).resolve().parents[2] / "app.py"


def open_app(page: str | None = None, *, timeout: float = 240, **state: object) -> AppTest:
    """Run app.py with ``state`` seeded, switch to ``app_pages/<page>.py`` when given, and check for exceptions."""
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    if page is not None:
        at.switch_page(f"app_pages/{page}.py")
        at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at
