"""Where the Spark engine runs: a session passed in, or one started from a master URL or a Spark Connect address.

An address is one of

* ``local[N]`` (this machine, N cores; the default ``local[2]``),
* ``spark://host:port`` (a standalone cluster; several masters as ``spark://h1:p1,h2:p2``), ``yarn`` or
  ``k8s://https://host:port`` (a cluster manager),
* ``sc://host:port`` (a Spark Connect server: the session is a thin client, the work runs on the server's cluster).

``JOURNEYLENS_SPARK`` (an environment variable) gives the address when none is passed, so a team server can point
every view at its cluster. One session is kept per process: asking again for the same address returns the running
session, asking for another master stops it and starts the new one (a JVM holds one Spark context).

On a cluster the executors run the driver's version of :mod:`analysis` (shipped as a zip to the session), and need
Python with ``polars`` and ``pyarrow`` at the same path as the driver's interpreter, or ``PYSPARK_PYTHON``
set to theirs.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import warnings
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analysis.errors import AnalysisError

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SPARK_ENV = "JOURNEYLENS_SPARK"
DEFAULT_MASTER = "local[2]"
_HOST_PORT = r"[A-Za-z0-9._\-\[\]:]+:\d+"
_PATTERNS = (
    re.compile(r"local(\[(\*|\d+)(,\d+)?\])?"),
    re.compile(rf"spark://{_HOST_PORT}(,{_HOST_PORT})*"),
    re.compile(r"yarn"),
    re.compile(r"k8s://https?://\S+"),
    re.compile(r"sc://[A-Za-z0-9._\-\[\]:]+(:\d+)?(/;\S*)?"),
)
_SHIPPED: set[str] = set()  # application ids that already have this process's analysis package


def _import_pyspark() -> Any:
    try:
        import pyspark  # noqa: PLC0415 (optional dependency, imported only when the Spark engine is chosen)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise AnalysisError("engine='spark' needs PySpark: pip install 'journeylens[spark]' (and Java 17)") from exc
    return pyspark


def spark_address(address: str | None = None) -> str:
    """The address to use: ``address``, else ``$JOURNEYLENS_SPARK``, else ``local[2]``; checked.

    Raises :class:`~analysis.errors.AnalysisError` naming the address and the valid forms when it is none of them.

    Examples
    --------
    >>> spark_address("spark://10.0.0.5:7077")
    'spark://10.0.0.5:7077'
    >>> spark_address("http://10.0.0.5:7077")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    analysis.errors.AnalysisError: Spark address 'http://10.0.0.5:7077' is not valid: use local[N], spark://...
    """
    chosen = (address if address is not None else os.environ.get(SPARK_ENV, "")).strip() or DEFAULT_MASTER
    if not any(p.fullmatch(chosen) for p in _PATTERNS):
        source = "" if address is not None else f" (from ${SPARK_ENV})"
        raise AnalysisError(f"Spark address {chosen!r}{source} is not valid: use local[N], spark://host:port, "
                            "yarn, k8s://https://host:port or sc://host:port (Spark Connect)")
    return chosen


def is_remote(address: str) -> bool:
    """Whether ``address`` is a Spark Connect server (``sc://``) rather than a master URL."""
    return address.startswith("sc://")


@contextmanager
def quiet_pandas_warning() -> Iterator[None]:
    """PySpark warns that it does not support pandas 3 yet; JourneyLens does not use pandas."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*pandas >= 3.0.0.*", category=FutureWarning)
        yield


def spark_session(
    address: str | None = None,
    *,
    shuffle_partitions: int = 8,
    driver_memory: str = "4g",
    conf: Mapping[str, str] | None = None,
) -> SparkSession:
    """A Spark session fit for JourneyLens (UTC, quiet, Parquet timestamps in microseconds), reused if one runs.

    ``address`` is a master URL or a Spark Connect address (see the module docstring; default
    ``$JOURNEYLENS_SPARK`` or ``local[2]``). ``conf`` adds Spark settings, e.g.
    ``{"spark.executor.memory": "2g"}``; ``driver_memory`` applies when this call starts the driver's JVM.

    Examples
    --------
    >>> spark = spark_session("spark://127.0.0.1:7077")  # doctest: +SKIP
    >>> spark = spark_session("sc://spark-connect.example.com:15002")  # doctest: +SKIP
    """
    chosen = spark_address(address)
    _import_pyspark()
    from pyspark.sql import SparkSession  # noqa: PLC0415

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # workers need this venv's pyarrow and polars
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    settings = {
        "spark.sql.session.timeZone": "UTC",
        "spark.sql.shuffle.partitions": str(shuffle_partitions),
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",  # not INT96: Polars reads it as written
        **(conf or {}),
    }
    with quiet_pandas_warning():
        if is_remote(chosen):
            spark = _remote(SparkSession, chosen, settings)
        else:
            spark = _classic(SparkSession, chosen, driver_memory, settings)
    _ship_code(spark, chosen)
    return spark


def _remote(session: Any, address: str, settings: Mapping[str, str]) -> SparkSession:
    """A Spark Connect client session; its runtime settings are set on the server's session."""
    try:
        spark = session.builder.remote(address).getOrCreate()
    except Exception as exc:  # PySpark raises several types for a missing client or a dead server
        raise AnalysisError(f"cannot reach the Spark Connect server {address}: {exc}") from exc
    for key, value in settings.items():
        spark.conf.set(key, value)
    return spark  # type: ignore[no-any-return]


def _classic(session: Any, master: str, driver_memory: str, settings: Mapping[str, str]) -> SparkSession:
    """The process's session for ``master``: the running one if it has that master, else a new one."""
    from pyspark import SparkContext  # noqa: PLC0415

    context = SparkContext._active_spark_context  # any thread's: Streamlit runs each view in its own thread
    if context is not None and context.master != master:
        session.builder.getOrCreate().stop()  # one Spark context per JVM: a new master replaces the old one
        context = None
    if context is not None:
        running = session.builder.getOrCreate()
        for key, value in settings.items():
            if key.startswith("spark.sql."):  # runtime settings; the others were fixed when the context started
                running.conf.set(key, value)
        return running  # type: ignore[no-any-return]
    builder = (session.builder.master(master).appName("journeylens")
               .config("spark.driver.memory", driver_memory)  # local mode: the driver's JVM also runs the executors
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false"))
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        spark = builder.getOrCreate()
    except Exception as exc:  # Py4J and Spark raise their own types for an unreachable master
        raise AnalysisError(f"cannot start Spark on {master}: {exc}") from exc
    spark.sparkContext.setLogLevel("ERROR")
    return spark  # type: ignore[no-any-return]


def _ship_code(spark: SparkSession, address: str) -> None:
    """Give a cluster's executors this process's :mod:`analysis` (local masters share the driver's files)."""
    if address.startswith("local"):
        return
    key = f"{address}|{spark.conf.get('spark.app.id', '') if not is_remote(address) else id(spark)}"
    if key in _SHIPPED:
        return
    package = Path(__file__).resolve().parents[1]
    archive = Path(tempfile.mkdtemp(prefix="journeylens-code-")) / "journeylens_analysis.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(package.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                zf.write(path, path.relative_to(package.parent))
    if is_remote(address):
        spark.addArtifacts(str(archive), pyfile=True)
    else:
        spark.sparkContext.addPyFile(str(archive))
    _SHIPPED.add(key)


def stop_spark() -> None:
    """Stop this process's classic Spark session, if one runs (Spark Connect sessions end with the server)."""
    if "pyspark" not in sys.modules:
        return
    from pyspark import SparkContext  # noqa: PLC0415
    from pyspark.sql import SparkSession  # noqa: PLC0415

    if SparkContext._active_spark_context is not None:
        SparkSession.builder.getOrCreate().stop()
