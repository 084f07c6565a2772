"""``journeylens`` / ``python -m analysis``: every analysis headless on a file or folder, for scripts and big data.

Subcommands: ``load`` (the load report), ``prepare``, ``funnel``, ``attribute``, ``personas``, ``snapshot``, one
module each in this package (its options and what it runs). Each takes ``--engine polars|spark``, ``--recipe
recipe.json`` (settings from a recipe or a snapshot.json; options given on the command line win) and
``--write-recipe``; progress goes to stderr, results to ``--out`` (``.csv``, ``.parquet`` or ``.json`` by suffix)
or as CSV to stdout. Recipes themselves are :mod:`analysis.cli.recipe`.

Exit codes: 0 done, 1 unexpected error, 2 usage error, 3 bad input (unreadable file, invalid data or settings;
the message says which file, row, column or value and what would be valid).

The names below load on first use, so the app can read recipes (:mod:`analysis.cli.recipe`) without importing the
engines.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

_PUBLIC: dict[str, str] = {
    "main": "analysis.cli.entry",
    "build_parser": "analysis.cli.entry",
    "EXIT_OK": "analysis.cli.entry",
    "EXIT_ERROR": "analysis.cli.entry",
    "EXIT_USAGE": "analysis.cli.entry",
    "EXIT_BAD_INPUT": "analysis.cli.entry",
    "cli_hint": "analysis.cli.context",
    "write_table": "analysis.cli.output",
}

__all__ = ["EXIT_BAD_INPUT", "EXIT_ERROR", "EXIT_OK", "EXIT_USAGE", "build_parser", "cli_hint", "main",
           "write_table"]

if TYPE_CHECKING:
    from analysis.cli.context import cli_hint
    from analysis.cli.entry import EXIT_BAD_INPUT, EXIT_ERROR, EXIT_OK, EXIT_USAGE, build_parser, main
    from analysis.cli.output import write_table


def __getattr__(name: str) -> Any:
    """Load a public name from its module on first use."""
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'analysis.cli' has no attribute {name!r}; public names: {', '.join(__all__)}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
