"""A Spark standalone cluster (a master and two 1-core workers on loopback) shared by every test that asks for it.

Started once per test session, only when a test needs it, and always stopped; the tests skip with the reason when
Java or PySpark is missing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from benchmarks.bench_spark_cluster import java_missing, standalone_cluster


@pytest.fixture(scope="session")
def spark_cluster() -> Iterator[str]:
    """The master URL (``spark://127.0.0.1:<port>``) of a two-worker standalone cluster, 1 core and 1 GB each."""
    why_not = java_missing()
    if why_not is not None:
        pytest.skip(f"the Spark cluster tests need Java 17 and PySpark: {why_not}")
    with standalone_cluster(workers=2, cores=1, memory="1g") as master:
        yield master
