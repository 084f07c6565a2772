"""The peer benchmark: JourneyLens next to retentioneering, ChannelAttribution, MAM and pm4py, task by task.

``make bench-peers`` (``python -m benchmarks.peers.run``) installs the peers into ``benchmarks/.peers-venv``, writes
the shuffled workload (:mod:`benchmarks.peers.workload`), runs every task in a fresh process of its own environment
(:mod:`benchmarks.peers.journeylens_tasks` in the project's, :mod:`benchmarks.peers.peer_tasks` in the peers') and
writes one table: time, peak memory, ratio and whether the results agree.
"""

from __future__ import annotations
