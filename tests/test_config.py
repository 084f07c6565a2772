"""The shipped Streamlit config keeps the app local and private."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from streamlit import config as st_config

CONFIG = Path(__file__).resolve().parent.parent / ".streamlit" / "config.toml"


@pytest.fixture(scope="module")
def config() -> dict[str, Any]:
    return tomllib.loads(CONFIG.read_text())


def test_usage_statistics_are_off(config: dict[str, Any]) -> None:
    assert config["browser"]["gatherUsageStats"] is False


def test_server_listens_on_loopback_only(config: dict[str, Any]) -> None:
    assert config["server"]["address"] == "127.0.0.1"


def test_upload_size_is_set_deliberately(config: dict[str, Any]) -> None:
    assert 100 <= config["server"]["maxUploadSize"] <= 4096


def test_xsrf_protection_is_on(config: dict[str, Any]) -> None:
    assert config["server"]["enableXsrfProtection"] is True


def test_error_details_do_not_include_messages_or_tracebacks(config: dict[str, Any]) -> None:
    # "full" and "stacktrace" could show data (values in messages, locals in tracebacks) in the browser
    assert config["client"]["showErrorDetails"] in {"type", "none"}


def test_every_option_is_known_to_streamlit(config: dict[str, Any]) -> None:
    known = set(st_config._config_options_template)
    for section, options in config.items():
        for name in options:
            assert f"{section}.{name}" in known, f"{section}.{name} is not a Streamlit option"
