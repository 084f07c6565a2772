"""Benchmark harness: seconds, events/s and peak memory per stage at stated sizes (`make bench`)."""

from __future__ import annotations
