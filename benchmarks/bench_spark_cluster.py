"""A Spark standalone cluster on this machine, from the PySpark installation, for the tests and the benchmark.

:func:`standalone_cluster` starts Spark's own ``org.apache.spark.deploy.master.Master`` and ``workers``
``org.apache.spark.deploy.worker.Worker`` processes (``spark-class``) on loopback, each worker with ``cores`` cores
and ``memory`` for its executors, on free ports; waits until every worker has registered with the master; yields
the master URL; and always stops them. Nothing here schedules or moves data: Spark does.

Run ``python -m benchmarks.bench_spark_cluster --events 1000000`` to time the whole pipeline on such a cluster
(partitioned Parquet in, aggregates out) with the driver bounded to ``spark.driver.memory=1g`` and
``spark.driver.maxResultSize=64m``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from benchmarks.process_memory import ProcessPeaks

LOOPBACK = "127.0.0.1"


class ClusterError(RuntimeError):
    """The standalone cluster did not come up (the message says which process and where its log is)."""


def java_missing() -> str | None:
    """Why a cluster cannot start here (None when PySpark imports and ``java`` is on PATH)."""
    if shutil.which("java") is None:
        return "Java is not on PATH (`make java` installs Java 17)"
    try:
        import pyspark  # noqa: F401, PLC0415 (optional extra)
    except ImportError:
        return "PySpark is not installed (pip install '.[spark]')"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _spark_class() -> Path:
    """Spark's launcher: under ``$SPARK_HOME``, else inside the pip-installed PySpark (which ships Spark's jars)."""
    import pyspark  # noqa: PLC0415 (optional extra)

    home = os.environ.get("SPARK_HOME") or str(Path(pyspark.__file__).parent)
    return Path(home) / "bin" / "spark-class"


def _alive_workers(ui_port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://{LOOPBACK}:{ui_port}/json/", timeout=2) as reply:
            state: dict[str, Any] = json.load(reply)
    except OSError:
        return -1
    return sum(1 for w in state.get("workers", []) if w.get("state") == "ALIVE")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # the process group: spark-class and the JVM it runs
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=15)


@contextmanager
def standalone_cluster(*, workers: int = 2, cores: int = 1, memory: str = "1g", timeout: float = 120.0,
                       daemon_memory: str = "256m") -> Iterator[str]:
    """Start a master and ``workers`` workers on loopback; yield ``spark://127.0.0.1:<port>``; stop them all.

    Examples
    --------
    >>> with standalone_cluster() as master:  # doctest: +SKIP
    ...     spark = spark_session(master)
    """
    why_not = java_missing()
    if why_not is not None:
        raise ClusterError(f"cannot start a Spark cluster: {why_not}")
    spark_class = str(_spark_class())
    port, ui_port = _free_port(), _free_port()
    master = f"spark://{LOOPBACK}:{port}"
    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="journeylens-cluster-")))
        env = {**os.environ, "SPARK_LOCAL_IP": LOOPBACK, "SPARK_LOG_DIR": str(tmp), "SPARK_NO_DAEMONIZE": "1",
               "SPARK_DAEMON_MEMORY": daemon_memory, "PYSPARK_PYTHON": os.environ.get("PYSPARK_PYTHON",
                                                                                       sys.executable)}
        processes: list[subprocess.Popen[bytes]] = []

        def start(name: str, *args: str) -> None:
            log = stack.enter_context((tmp / f"{name}.log").open("wb"))
            processes.append(subprocess.Popen([spark_class, *args], stdout=log, stderr=subprocess.STDOUT,
                                              env=env, start_new_session=True))

        try:
            start("master", "org.apache.spark.deploy.master.Master", "--host", LOOPBACK, "--port", str(port),
                  "--webui-port", str(ui_port))
            _wait(lambda: _alive_workers(ui_port) >= 0, timeout, f"the master did not start; see {tmp}/master.log",
                  processes)
            for i in range(workers):
                start(f"worker-{i}", "org.apache.spark.deploy.worker.Worker", "--host", LOOPBACK, "--cores",
                      str(cores), "--memory", memory, "--webui-port", str(_free_port()), "--work-dir",
                      str(tmp / f"work-{i}"), master)
            _wait(lambda: _alive_workers(ui_port) == workers, timeout,
                  f"{workers} workers did not register with the master; see {tmp}/worker-*.log", processes)
            yield master
        finally:
            for process in reversed(processes):
                _stop(process)


def _wait(ready: Any, timeout: float, message: str, processes: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
            raise ClusterError(message)
        time.sleep(0.5)


# --- the benchmark: the whole pipeline on the cluster with a bounded driver --------------------------------------

DRIVER_BOUNDS = {"spark.driver.memory": "1g", "spark.driver.maxResultSize": "64m"}


def run_pipeline(master: str, raw: Path, out: Path, *, events_per_group: int | None = None) -> dict[str, float]:
    """prepare_to_parquet, then funnel, conversion paths + attribution and persona features from the prepared
    folder, on ``master``; the seconds of each step."""
    from analysis.attribution import attribute, conversion_paths  # noqa: PLC0415 (imports: the measured process)
    from analysis.engine import EngineOptions  # noqa: PLC0415
    from analysis.engine.spark_session import spark_session  # noqa: PLC0415
    from analysis.funnels import funnel, funnel_spec  # noqa: PLC0415
    from analysis.personas.features import user_features  # noqa: PLC0415
    from analysis.prepare.stage import prepare_to_parquet  # noqa: PLC0415
    from analysis.sample import FUNNEL_STEPS  # noqa: PLC0415

    started = time.perf_counter()
    conf = {**DRIVER_BOUNDS, "spark.executor.memory": "768m", "spark.executor.cores": "1"}
    if events_per_group is not None:
        conf["spark.journeylens.eventsPerGroup"] = str(events_per_group)
    spark = spark_session(master, driver_memory="1g", conf=conf)
    times = {"start": time.perf_counter() - started}
    prepared = out / "prepared"
    on_spark = EngineOptions(engine="spark", spark=spark)
    steps: dict[str, Any] = {
        "prepare": lambda: prepare_to_parquet(raw, prepared, engine=on_spark),
        "funnel": lambda: funnel(prepared, funnel_spec(list(FUNNEL_STEPS)), engine=on_spark),
        "attribution": lambda: [attribute(conversion_paths(prepared, engine=on_spark), model=m)
                                for m in ("last_touch", "markov")],
        "personas": lambda: user_features(prepared, engine=on_spark),
    }
    for name, step in steps.items():
        began = time.perf_counter()
        step()
        times[name] = time.perf_counter() - began
    spark.stop()
    return times


def main(argv: list[str] | None = None) -> int:
    """Time the pipeline on a two-worker standalone cluster (sample of ``--events`` events, generated once)."""
    from benchmarks.common import sample_path  # noqa: PLC0415

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--events-per-group", type=int, default=None)
    parser.add_argument("--worker-memory", default="2g")
    args = parser.parse_args(argv)
    raw = sample_path(args.events)
    with standalone_cluster(memory=args.worker_memory) as master, tempfile.TemporaryDirectory() as tmp:
        cpu = os.times()
        with ProcessPeaks() as peaks:
            times = run_pipeline(master, raw, Path(tmp), events_per_group=args.events_per_group)
        after = os.times()
    print(json.dumps({"events": args.events, "seconds": {k: round(v, 1) for k, v in times.items()},
                      "driver_cpu_s": round(after.user + after.system - cpu.user - cpu.system, 1),
                      "peak_rss_mb": {"driver (Python + JVM)": round(peaks.driver_mb),
                                      **{k: round(v) for k, v in sorted(peaks.executors_mb.items())}}},
                     indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
