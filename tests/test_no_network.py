"""Nothing JourneyLens runs tries to reach the network: the library, and every page under AppTest."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from analysis.prepare import prepare
from analysis.sample import load_sample
from tests.app.apptest import APP

PAGES = ["app_pages/data.py", "app_pages/journeys.py", "app_pages/funnels.py", "app_pages/attribution.py",
         "app_pages/personas.py", "app_pages/snapshots.py"]
LOOPBACK = ("127.", "::1", "localhost")


@pytest.fixture
def outbound_attempts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Refuse and record every connection or name lookup that leaves this machine."""
    attempts: list[str] = []
    real_connect = socket.socket.connect
    real_getaddrinfo = socket.getaddrinfo

    def connect(sock: socket.socket, address: Any) -> None:
        host = str(address[0]) if isinstance(address, tuple) else str(address)
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not host.startswith(LOOPBACK):
            attempts.append(f"connect {address}")
            raise OSError("network access blocked by the test")
        real_connect(sock, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not str(host).startswith(LOOPBACK):
            attempts.append(f"lookup {host}")
            raise OSError("name lookup blocked by the test")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield attempts


def test_library_pipeline_makes_no_connection(outbound_attempts: list[str]) -> None:
    prepare(load_sample())
    assert outbound_attempts == []


@pytest.mark.parametrize("page", PAGES)
def test_pages_make_no_connection(page: str, outbound_attempts: list[str]) -> None:
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.run()
    at.switch_page(page)
    at.run()
    assert not at.exception
    assert outbound_attempts == []


def test_guard_records_an_outbound_attempt(outbound_attempts: list[str]) -> None:
    # the guard itself can fail: a lookup of a non-local name is refused and recorded (nothing leaves the machine)
    with pytest.raises(OSError, match="blocked"):
        socket.getaddrinfo("telemetry.example.invalid", 443)
    assert outbound_attempts == ["lookup telemetry.example.invalid"]
