"""``journeylens`` / ``python -m analysis``: every analysis headless on a file or folder, for scripts and big data.

Subcommands: ``load`` (the load report), ``prepare``, ``funnel``, ``attribute``, ``personas``, ``snapshot``, one
module each in this package (its options and what it runs). Each takes ``--engine polars|spark``, ``--recipe
recipe.json`` (settings from a recipe or a snapshot.json; options given on the command line win) and
``--write-recipe``; progress goes to stderr, results to ``--out`` (``.csv``, ``.parquet`` or ``.json`` by suffix)
or as CSV to stdout. Recipes themselves are :mod:`analysis.cli.recipe`.

Exit codes: 0 done, 1 unexpected error, 2 usage error, 3 bad input (unreadable file, invalid data or settings;
the message says which file, row, column or value and what would be valid).

The package imports nothing heavy until :func:`main` runs, so the app reads recipes (:mod:`analysis.cli.recipe`)
without loading the engines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TextIO

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_BAD_INPUT = 0, 1, 2, 3

__all__ = ["EXIT_BAD_INPUT", "EXIT_ERROR", "EXIT_OK", "EXIT_USAGE", "main"]


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run the CLI with ``argv`` (default ``sys.argv[1:]``) and return the exit code (see :mod:`analysis.cli.entry`).

    Examples
    --------
    >>> main(["funnel", "--help"])  # doctest: +SKIP
    0
    """
    from analysis.cli.entry import run  # noqa: PLC0415 (the engines load only when a command runs)

    return run(argv, stdout=stdout, stderr=stderr)
