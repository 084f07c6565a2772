"""``journeylens`` / ``python -m analysis``: every analysis headless on a file or folder, for scripts and big data.

Subcommands: ``load`` (the load report), ``prepare``, ``funnel``, ``attribute``, ``personas``, ``snapshot``. Each
takes ``--engine polars|spark``, ``--recipe recipe.json`` (settings from a recipe or a snapshot.json; options given
on the command line win) and ``--write-recipe``; progress goes to stderr, results to ``--out`` (``.csv``,
``.parquet`` or ``.json`` by suffix) or as CSV to stdout.

Exit codes: 0 done, 1 unexpected error, 2 usage error, 3 bad input (unreadable file, invalid data or settings;
the message says which file, row, column or value and what would be valid).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TextIO

import polars as pl

from analysis import schema as s
from analysis.engine import ENGINES, partitioned_funnel, partitioned_paths, prepare_events, prepare_to_parquet
from analysis.engine.partition import scan_events
from analysis.engine.spark_session import spark_address
from analysis.errors import AnalysisError, IngestError
from analysis.export import protect_formulas
from analysis.filters import add_person_labels
from analysis.recipe import Recipe, file_digest, read_recipe, write_recipe

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_BAD_INPUT = 0, 1, 2, 3
FORMATS = (".csv", ".parquet", ".json")
Source = pl.DataFrame | Path


class _Run:
    """One invocation's context: options, recipe, progress output."""

    def __init__(self, args: argparse.Namespace, err: TextIO) -> None:
        self.args, self.err = args, err
        self.recipe = read_recipe(args.recipe) if args.recipe else Recipe()
        self.started = self.heard = time.perf_counter()
        self.used: dict[str, Any] = {}
        if args.engine == "spark":  # a wrong address fails now, before any file is read
            spark_address(args.spark_remote or args.spark_master)

    def say(self, message: str) -> None:
        if not self.args.quiet:
            print(f"journeylens: {message} ({time.perf_counter() - self.started:.1f} s)", file=self.err, flush=True)

    def progress(self, stage: str, done: int, total: int) -> None:
        if self.args.engine == "spark":  # Spark's steps: the share of tasks done, every few seconds
            now = time.perf_counter()
            if done == 0 or now - self.heard >= 5:
                self.heard = now
                self.say(f"spark {stage}: {done}/{total} tasks" if done else f"spark {stage}: started")
            return
        if stage != "partitions" or done in (0, total) or total <= 1:
            return
        self.say(f"partition {done}/{total}")

    def option(self, name: str, given: Any, default: Any) -> Any:
        """The command-line value, else the recipe's, else the default; recorded for --write-recipe."""
        value = given if given is not None else self.recipe.get(name, default)
        self.used[name] = value
        return value

    def engine_options(self) -> dict[str, Any]:
        options = {"engine": self.args.engine, "partitions": self.args.partitions, "progress": self.progress}
        return {**options, "spark": _spark(self.args)} if self.args.engine == "spark" else options


def _spark(args: argparse.Namespace) -> Any:
    """The Spark session for --spark-master / --spark-remote (default $JOURNEYLENS_SPARK or local[2])."""
    from analysis.engine.spark import GROUPS_CONF  # noqa: PLC0415 (PySpark is optional)
    from analysis.engine.spark_session import spark_session  # noqa: PLC0415

    conf = {GROUPS_CONF: str(args.events_per_group)} if args.events_per_group else {}
    return spark_session(args.spark_remote or args.spark_master, conf=conf)


def _digest(path: Path) -> str:
    return file_digest(path)


def _canonical_parquet(path: Path) -> bool:
    """A Parquet file or folder already in the canonical schema can be streamed without loading it."""
    is_parquet = path.suffix in (".parquet", ".pq") or (path.is_dir() and any(path.rglob("*.parquet")))
    if not is_parquet:
        return False
    try:
        schema = scan_events(path).collect_schema()
    except (AnalysisError, pl.exceptions.PolarsError, OSError):
        return False
    ids = [c for c in (s.USER_ID, s.ANONYMOUS_ID) if c in schema]
    return bool(ids) and schema.get(s.TIMESTAMP) == s.TIMESTAMP_DTYPE and schema.get(s.EVENT) == pl.String and all(
        schema[c] == pl.String for c in ids) and all(
        schema[c] == t for c, t in s.CANONICAL_SCHEMA.items() if c in schema)


def _load(run: _Run) -> tuple[Source, Any]:
    """The events to analyse: a canonical Parquet path is streamed as is, anything else goes through ingest."""
    from analysis.ingest import load_events  # noqa: PLC0415 (keeps `--help` fast)

    path = Path(run.args.source)
    if not path.exists():
        raise IngestError(f"{path} does not exist; give a CSV, Parquet, gzip or zip file, or a folder of them")
    if run.recipe.dataset_hash and run.recipe.dataset_hash != _digest(path):
        print(f"journeylens: warning: {path} is not the data the recipe was made on (dataset_hash differs)",
              file=run.err)
    mapping = _mapping(run)
    timezone = run.args.timezone or run.recipe.timezone
    if mapping is None and _canonical_parquet(path) and run.args.command != "load":
        run.say(f"streaming canonical Parquet {path}")
        return path, None
    run.say(f"loading {path}")
    # prepare sorts once by person and time; only the `load` command's output keeps the loader's own order
    result = load_events(path, mapping=mapping, timezone=timezone, sort=run.args.command == "load")
    report = result.report
    run.say(f"loaded {report.kept:,} of {report.rows_read:,} rows ({report.rejected:,} rejected, "
            f"{report.repaired:,} repaired)")
    for warning in report.warnings:  # printed even with -q: they change what the results mean
        print(f"journeylens: warning: {warning}", file=run.err)
    return result.events, report


_PY_MAPPING = re.compile(r"mapping=\{'([^']+)': '([^']*)'\}")


def cli_hint(message: str) -> str:
    """A library message as the command line says it: ``mapping={'event': 'x'}`` becomes ``--map event=x``.

    Examples
    --------
    >>> cli_hint("pass mapping={'event': '<column>'}.")
    'pass --map event=<column>.'
    """
    return _PY_MAPPING.sub(lambda m: f"--map {m.group(1)}={m.group(2)}", message)


def _mapping(run: _Run) -> dict[str, str | None] | None:
    if not run.args.map:
        return run.recipe.mapping
    mapping: dict[str, str | None] = dict(run.recipe.mapping or {})
    for item in run.args.map:
        target, sep, column = item.partition("=")
        if not sep or not target:
            raise AnalysisError(f"--map {item!r} must look like target=column (e.g. user_id=customer_id)")
        mapping[target] = column or None
    return mapping


def _to_flat(frame: pl.DataFrame) -> pl.DataFrame:
    """Nested columns as text, for CSV."""
    out = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.List):
            out.append(col.list.eval(pl.element().cast(pl.String)).list.join(" > ").alias(name))
        elif isinstance(dtype, pl.Struct):
            out.append(col.struct.json_encode().alias(name))
        else:
            out.append(col)
    return frame.select(out)


def write_table(frame: pl.DataFrame, out: str | Path | None, *, stdout: TextIO) -> None:
    """Write ``frame`` to ``out`` by suffix (.csv, .parquet, .json), or as CSV to ``stdout`` when None."""
    if out is None:
        stdout.write(protect_formulas(_to_flat(frame)).write_csv())
        return
    path = Path(out)
    if path.suffix not in FORMATS:
        raise AnalysisError(f"--out {path}: the suffix must be one of {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".parquet":
        frame.write_parquet(path)
    elif path.suffix == ".json":
        frame.write_json(path)
    else:
        protect_formulas(_to_flat(frame)).write_csv(path)


# --- subcommands --------------------------------------------------------------------------------------------------

def _cmd_load(run: _Run, out: TextIO) -> None:
    events, report = _load(run)
    assert isinstance(events, pl.DataFrame) and report is not None  # `load` always reads through ingest
    with pl.Config(tbl_rows=50, tbl_cols=20, tbl_width_chars=160):
        print(report.summary(), file=out)
        if report.reasons().height:
            print(report.reasons(), file=out)
    print(f"format: {report.detected_format}; mapping: "
          + ", ".join(f"{k} <- {v}" for k, v in report.mapping.items()), file=out)
    if run.args.out:
        write_table(events, run.args.out, stdout=out)
        run.say(f"wrote {events.height:,} canonical events to {run.args.out}")


def _dates(run: _Run) -> tuple[date, date] | None:
    """The date range (whole days, UTC) from --start/--end or the recipe's ``date_range``; None = all data."""
    given = [run.args.start, run.args.end] if run.args.start or run.args.end else None
    return _date_range(run.option("date_range", given, None))


def _date_range(picked: Any) -> tuple[date, date] | None:
    if picked is None:
        return None
    if not isinstance(picked, list | tuple) or len(picked) != 2:
        raise AnalysisError(f"date_range must be [start, end] as YYYY-MM-DD, got {picked!r}")
    try:
        days = [date.fromisoformat(str(d)) if d else None for d in picked]
    except ValueError as exc:
        raise AnalysisError(f"date_range {list(picked)}: dates must look like 2026-09-30 ({exc})") from exc
    start = days[0] or date.min
    end = days[1] or date(9998, 12, 31)
    return start, end


def _gap(run: _Run) -> timedelta:
    return timedelta(minutes=float(run.option("session_gap_minutes", run.args.session_gap, 30)))


def _cmd_prepare(run: _Run, out: TextIO) -> None:
    source, _ = _load(run)
    target = Path(run.args.out) if run.args.out else None
    if target is not None and target.suffix == "":
        files = prepare_to_parquet(source, target, session_gap=_gap(run), date_range=_dates(run),
                                   **run.engine_options())
        run.say(f"wrote {len(files)} prepared partitions to {target}")
        return
    prepared = prepare_events(source, session_gap=_gap(run), date_range=_dates(run), **run.engine_options())
    write_table(prepared, target, stdout=out)
    run.say(f"prepared {prepared.height:,} events")


def _cmd_funnel(run: _Run, out: TextIO) -> None:
    from analysis.funnels import Exclusion, Step, funnel_spec  # noqa: PLC0415

    chosen = run.option("funnel_steps", _split(run.args.steps), None)
    if not chosen:
        raise AnalysisError("funnel needs --steps (e.g. --steps view_item,add_to_cart,purchase) or a recipe with "
                            "funnel_steps")
    # as the Funnels page: optional steps are named "<position>. <event>", the date range governs entry only
    optional = set(run.option("optional_steps", None, []))
    steps = [Step((e,), optional=(0 < i < len(chosen) - 1 and f"{i + 1}. {e}" in optional))
             for i, e in enumerate(chosen)]
    excluded = tuple(run.option("exclusion_events", None, []))
    dates = _dates(run)
    spec = funnel_spec(
        steps, window=timedelta(days=float(run.option("funnel_window_days", run.args.window_days, 7))),
        mode=run.option("funnel_mode", run.args.mode, "ordered"), entry=run.option("entry", None, "closed"),
        counting=run.option("counting", None, "users"), anchor=run.option("anchor", None, "furthest"),
        exclusions=[Exclusion(excluded)] if excluded and len(steps) > 1 else [],
        entry_start=dates[0] if dates else None, entry_end=dates[1] if dates else None,
        breakdown=run.option("funnel_breakdown", run.args.breakdown, None),
        attribution=run.option("attribution", None, "step1"), top_n=run.option("top_n", None, 10))
    source, _ = _load(run)
    if spec.breakdown == "persona":  # the persona column exported on the Personas page: refit those personas
        table = partitioned_funnel(_labelled(run, source, cut=False), spec, prepared=True, session_gap=_gap(run),
                                   **run.engine_options())
    else:
        table = partitioned_funnel(source, spec, session_gap=_gap(run), **run.engine_options())
    write_table(table, run.args.out, stdout=out)
    run.say(f"funnel of {len(steps)} steps done")


def _paths(run: _Run, source: Source, *, prepared: bool = False) -> pl.DataFrame:
    lookback = float(run.option("attribution_lookback_days", run.args.lookback_days, 30))
    return partitioned_paths(
        source, conversion_events=run.option("conversion_events", _split(run.args.conversion_events), ["purchase"]),
        lookback=timedelta(days=lookback) if lookback > 0 else None, session_gap=_gap(run),
        prepared=prepared, date_range=None if prepared else _dates(run),
        touch=run.option("attribution_touch", run.args.touch, "channel"),
        collapse_repeats=bool(run.option("collapse_repeats", None, False)), **run.engine_options())


def _cmd_attribute(run: _Run, out: TextIO) -> None:
    from analysis.attribution import MODELS, attribute  # noqa: PLC0415

    models = run.option("attribution_models", _split(run.args.models), ["last_touch", "first_touch", "linear",
                                                                         "markov"])
    unknown = [m for m in models if m not in MODELS]
    if unknown:
        raise AnalysisError(f"unknown attribution model(s) {unknown}; valid: {', '.join(MODELS)}")
    source, _ = _load(run)
    persona = run.option("persona", None, None)
    if persona is not None:  # the Attribution page's persona segment: refit the personas, keep that one's people
        from analysis.personas.recipe import keep_persona  # noqa: PLC0415

        people = keep_persona(_labelled(run, source), str(persona))
        run.say(f"persona {persona!r}: {people.height:,} events")
        paths = _paths(run, people, prepared=True)
    else:
        paths = _paths(run, source)
    if not paths["conversions"].sum() > 0:  # name the events found and the likely ones, never all-zero credits
        from analysis.attribution.checks import require_conversions  # noqa: PLC0415

        require_conversions(people if persona is not None else source,
                            run.option("conversion_events", _split(run.args.conversion_events), ["purchase"]))
    run.say(f"{paths.height:,} distinct paths; attributing with {', '.join(models)}")
    if run.args.paths_out:
        write_table(paths, run.args.paths_out, stdout=out)
    seed = int(run.option("seed", run.args.seed, run.recipe.seed))
    order = int(run.option("markov_order", None, 1))
    table = pl.concat([attribute(paths, model=m, seed=seed, order=order).select(pl.lit(m).alias("model"), pl.all())
                       for m in models], how="vertical_relaxed")
    write_table(table, run.args.out, stdout=out)


def _persona_settings(run: _Run) -> dict[str, Any]:
    """The persona settings of the recipe: nested under ``persona_fit`` (pages that use personas made elsewhere)
    or, from the Personas page, its own parameters; ``--k`` wins."""
    fit = run.recipe.get("persona_fit")
    own = run.args.command == "personas" or run.recipe.get("page") == "personas"
    settings = dict(fit) if isinstance(fit, dict) else dict(run.recipe.parameters) if own else {
        "persona_k": run.recipe.get("persona_k"), "seed": run.recipe.get("seed")}
    k = run.args.k if getattr(run.args, "k", None) is not None else settings.get("persona_k")
    settings["persona_k"] = k
    run.used["persona_fit" if isinstance(fit, dict) else "persona_k"] = settings if isinstance(fit, dict) else k
    return settings


def _personas(run: _Run, prepared: pl.DataFrame, *, stability: bool = True) -> Any:
    """Fit the personas the recipe describes (names included) on ``prepared``."""
    from analysis.personas.recipe import apply_names, personas_from_parameters  # noqa: PLC0415

    settings = _persona_settings(run)
    seed = int(run.option("seed", run.args.seed, run.recipe.seed))
    model = personas_from_parameters(settings, seed=seed, stability=stability)
    run.say(f"fitting personas (k={model.k or 'auto'}, {model.algorithm}, seed={model.seed})")
    return apply_names(model.fit(prepared), settings)


def _labelled(run: _Run, source: Source, *, cut: bool = True) -> pl.DataFrame:
    """Prepared events (of the recipe's date range when ``cut``) with the ``persona`` column of the recipe's
    personas."""
    from analysis.personas import persona_column  # noqa: PLC0415

    fit = run.recipe.get("persona_fit")
    if not isinstance(fit, dict):
        raise AnalysisError("the recipe uses a persona but carries no persona_fit (the persona settings); download "
                            "the recipe again from the page, with the persona column exported on the Personas page")
    view_dates = _dates(run) if cut else None
    prepared = prepare_events(source, session_gap=_gap(run), date_range=view_dates, **run.engine_options())
    fit_dates = _date_range(fit.get("date_range"))
    on = prepared if fit_dates == view_dates else prepare_events(
        source, session_gap=_gap(run), date_range=fit_dates, **run.engine_options())
    model = _personas(run, on, stability=False)  # the personas were fitted on their own date range
    return add_person_labels(prepared, persona_column(model))


def _cmd_personas(run: _Run, out: TextIO) -> None:
    source, _ = _load(run)
    prepared = prepare_events(source, session_gap=_gap(run), date_range=_dates(run), **run.engine_options())
    model = _personas(run, prepared)
    write_table(model.profiles_, run.args.out, stdout=out)
    if not model.distinct_:  # an outcome, not an error: said even with --quiet
        print(f"journeylens: no distinct personas in this data: {model.verdict_.message}", file=run.err)
        return
    run.say(f"{model.k_} personas over {model.users_.len():,} people")


def _cmd_snapshot(run: _Run, out: TextIO) -> None:
    from analysis.personas.recipe import persona_parameters  # noqa: PLC0415
    from analysis.snapshot import DEFAULT_MODELS, DEFAULT_STEPS, SECTIONS, write_snapshot  # noqa: PLC0415

    source, _ = _load(run)
    prepared = prepare_events(source, session_gap=_gap(run), date_range=_dates(run), **run.engine_options())
    use_personas = run.option("use_personas", False if run.args.no_personas else None, True)
    model = _personas(run, prepared) if use_personas else None
    lookback = float(run.option("attribution_lookback_days", None, 30))
    parameters: dict[str, Any] = {"seed": run.option("seed", run.args.seed, run.recipe.seed),
                                  "persona_k": None if model is None else int(model.k_)}
    if model is not None:
        parameters["persona_fit"] = persona_parameters(model)
    snap = write_snapshot(
        prepared, run.args.out, personas=model, title=run.option("title", None, "Persona snapshot"),
        sections=run.option("sections", None, list(SECTIONS)),
        min_group_size=int(run.option("min_group_size", run.args.min_group_size, 10)),
        funnel_steps=run.option("funnel_steps", _split(run.args.steps), list(DEFAULT_STEPS)),
        window=timedelta(days=float(run.option("funnel_window_days", None, 7))),
        conversion_events=run.option("conversion_events", None, ["purchase"]),
        models=run.option("attribution_models", None, list(DEFAULT_MODELS)),
        lookback=timedelta(days=lookback), digest=_digest(Path(run.args.source)), parameters=parameters,
    )
    print(snap.path / "snapshot.html" if snap.path else run.args.out, file=out)
    run.say(f"snapshot written to {run.args.out}")


COMMANDS: dict[str, Callable[[_Run, TextIO], None]] = {
    "load": _cmd_load, "prepare": _cmd_prepare, "funnel": _cmd_funnel, "attribute": _cmd_attribute,
    "personas": _cmd_personas, "snapshot": _cmd_snapshot,
}


def _split(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (one subparser per analysis)."""
    parser = argparse.ArgumentParser(prog="journeylens", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="exit codes: 0 done, 1 unexpected error, 2 usage error, 3 bad input")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("source", help="events: a CSV/Parquet/gzip/zip file or a folder of them")
    common.add_argument("--out", "-o", help="output file (.csv, .parquet, .json); CSV on stdout when omitted")
    common.add_argument("--engine", choices=ENGINES, default="polars", help="polars (this machine) or spark")
    common.add_argument("--partitions", type=_positive,
                        help="person partitions (default: 8 on polars; on spark, by data size)")
    common.add_argument("--spark-master", metavar="URL",
                        help="Spark master: local[N], spark://host:port, yarn, k8s://... (implies --engine spark)")
    common.add_argument("--spark-remote", metavar="sc://HOST:PORT",
                        help="a Spark Connect server (implies --engine spark)")
    common.add_argument("--events-per-group", type=_positive, metavar="N",
                        help="on spark: events per person group, which bounds a task's memory (1000000)")
    common.add_argument("--recipe", help="settings from a recipe or snapshot.json; command-line options win")
    common.add_argument("--write-recipe", help="save this run's settings as a recipe JSON")
    common.add_argument("--map", action="append", metavar="TARGET=COLUMN", help="column mapping override")
    common.add_argument("--timezone", help="zone of naive timestamps (IANA name, default UTC)")
    common.add_argument("--session-gap", type=float, metavar="MINUTES", help="inactivity that ends a session (30)")
    common.add_argument("--start", help="first day to analyse (YYYY-MM-DD, UTC; sessions use all data)")
    common.add_argument("--end", help="last day to analyse (YYYY-MM-DD, inclusive)")
    common.add_argument("--seed", type=int, help="random seed (default 0)")
    common.add_argument("--quiet", "-q", action="store_true", help="no progress on stderr")
    common.add_argument("--debug", action="store_true", help="show the traceback of unexpected errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("load", parents=[common], help="read a file and print its load report")
    sub.add_parser("prepare", parents=[common], help="stitch identities, channels, sessions (--out DIR streams)")
    fun = sub.add_parser("funnel", parents=[common], help="conversion through steps")
    fun.add_argument("--steps", help="comma-separated step events")
    fun.add_argument("--window-days", type=float, help="conversion window from step 1 (default 7)")
    fun.add_argument("--mode", choices=("ordered", "strict", "unordered"), help="step order rule")
    fun.add_argument("--breakdown", help="column to split the funnel by")
    att = sub.add_parser("attribute", parents=[common], help="conversion paths and channel attribution")
    att.add_argument("--models", help="comma-separated models (default last_touch,first_touch,linear,markov)")
    att.add_argument("--conversion-events", help="comma-separated conversion events (default purchase)")
    att.add_argument("--lookback-days", type=float, help="touches within this many days count (30; 0 = all)")
    att.add_argument("--touch", choices=("channel", "source", "medium", "campaign", "source_medium"))
    att.add_argument("--paths-out", help="also write the conversion path table here")
    per = sub.add_parser("personas", parents=[common], help="behavioural personas: profiles table")
    per.add_argument("--k", type=_positive, help="number of personas (default: chosen by silhouette)")
    snap = sub.add_parser("snapshot", parents=[common], help="write a shareable persona snapshot into --out DIR")
    snap.add_argument("--k", type=_positive, help="number of personas")
    snap.add_argument("--steps", help="comma-separated funnel steps")
    snap.add_argument("--min-group-size", type=_positive, help="smallest group shown (default 10)")
    snap.add_argument("--no-personas", action="store_true", help="one group instead of personas")
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text}")
    return value


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``) and return the exit code.

    Examples
    --------
    >>> main(["funnel", "--help"])  # doctest: +SKIP
    0
    """
    out, err = stdout or sys.stdout, stderr or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    if args.command == "snapshot" and not args.out:
        print("journeylens: error: snapshot needs --out DIR", file=err)
        return EXIT_USAGE
    if args.spark_master and args.spark_remote:
        print("journeylens: error: give --spark-master or --spark-remote, not both", file=err)
        return EXIT_USAGE
    if args.spark_master or args.spark_remote:
        args.engine = "spark"
    try:
        run = _Run(args, err)
        COMMANDS[args.command](run, out)
        if args.write_recipe:
            digest = _digest(Path(args.source)) if Path(args.source).exists() else None
            recipe = Recipe(dataset_hash=digest, mapping=_mapping(run), timezone=args.timezone or run.recipe.timezone,
                            seed=int(run.used.get("seed", run.recipe.seed)), parameters=run.used,
                            version=_version())
            write_recipe(recipe, args.write_recipe)
            run.say(f"recipe written to {args.write_recipe}")
    except AnalysisError as exc:  # IngestError included: bad file, data or settings
        print(f"journeylens: error: {cli_hint(str(exc))}", file=err)
        return EXIT_BAD_INPUT
    except Exception as exc:
        if args.debug:
            raise
        print(f"journeylens: unexpected error ({type(exc).__name__}): {exc}; rerun with --debug for details",
              file=err)
        return EXIT_ERROR
    return EXIT_OK


def _version() -> str:
    from analysis.snapshot.store import library_version  # noqa: PLC0415

    return library_version()
