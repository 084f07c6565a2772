"""The one error boundary of reading a file: whatever a reader raises leaves ``load_events`` as an IngestError.

Readers raise specific :class:`~analysis.errors.IngestError` s for every case they know; this boundary turns
anything else (a Polars or Arrow error, a Rust panic, which is a ``BaseException``, a bug) into an IngestError
that names the file and says what to do, without repeating the reader's text, which can hold data values.
"""

from __future__ import annotations

import difflib
import functools
import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager

from analysis.errors import IngestError, LimitError

_PASS_THROUGH = (KeyboardInterrupt, SystemExit, GeneratorExit)


@contextmanager
def reading(name: str) -> Iterator[None]:
    """Run the reading of file ``name``; any error but an IngestError becomes one naming the file.

    The original error stays as ``__cause__`` for logs; the message itself carries no data values.

    Examples
    --------
    >>> with reading("a.csv"):
    ...     raise KeyError("secret value")
    Traceback (most recent call last):
    ...
    analysis.errors.IngestError: a.csv could not be read: the reader stopped on it (KeyError). Check that it is \
an unchanged CSV or Parquet export; if it is, send it to the JourneyLens maintainers with this message.
    """
    try:
        yield
    except IngestError:
        raise
    except _PASS_THROUGH:
        raise
    except MemoryError:
        raise LimitError(f"{name} needs more memory than this machine has left. Split the export, or lower "
                         "the ceiling (Limits(max_bytes=...)) so such files are refused early.",
                         limit="max_bytes") from None
    except BaseException as exc:
        raise IngestError(f"{name} could not be read: the reader stopped on it ({type(exc).__name__}). Check "
                          "that it is an unchanged CSV or Parquet export; if it is, send it to the JourneyLens "
                          "maintainers with this message.") from exc


@functools.cache
def known_zones() -> frozenset[str]:
    """IANA zone names Polars can read."""
    # "Factory" and "localtime" are tzdata files, not zones Polars can read
    return frozenset(zoneinfo.available_timezones()) - {"Factory", "localtime"} | {"UTC"}


def check_timezone(timezone: str) -> None:
    """Refuse a time zone that is not an IANA name (an empty one included), suggesting the closest.

    Examples
    --------
    >>> check_timezone("Europe/Berlin")
    >>> check_timezone("Europe/Berln")
    Traceback (most recent call last):
    ...
    analysis.errors.IngestError: timezone 'Europe/Berln' is not an IANA time zone name; did you mean \
'Europe/Berlin'? Naive timestamps are read in this zone: pass a name such as 'UTC' or 'Europe/Berlin'.
    """
    if timezone == "UTC" or (isinstance(timezone, str) and timezone in known_zones()):
        return
    close = difflib.get_close_matches(str(timezone), sorted(known_zones()), n=1)
    hint = f"; did you mean {close[0]!r}?" if close else " (an empty name is not UTC)." if timezone == "" else "."
    raise IngestError(f"timezone {timezone!r} is not an IANA time zone name{hint} Naive timestamps are read in "
                      "this zone: pass a name such as 'UTC' or 'Europe/Berlin'.")
