"""The machine's pseudonymisation key: the HMAC secret that e-mails and phones are hashed with at load.

Kept on this machine only (EDPB pseudonymisation guidance: the additional information is kept separately): the hex
of ``$JOURNEYLENS_ID_KEY`` when set, else ``$JOURNEYLENS_HOME/identity.key`` (default ``~/.journeylens``),
created with 32 random bytes and owner-only permissions on first use. The same key gives the same hashes, so files
loaded on different days still match; a new key starts a new, unlinkable set of hashes.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from analysis.errors import AnalysisError

KEY_ENV = "JOURNEYLENS_ID_KEY"
KEY_FILE = "identity.key"


def key_path() -> Path:
    """Where the machine key lives."""
    return Path(os.environ.get("JOURNEYLENS_HOME", Path.home() / ".journeylens")) / KEY_FILE


def machine_key() -> bytes:
    """The machine's HMAC key (32 bytes), created on first use.

    Examples
    --------
    >>> len(machine_key()) >= 16  # doctest: +SKIP
    True
    """
    given = os.environ.get(KEY_ENV)
    if given:
        try:
            key = bytes.fromhex(given.strip())
        except ValueError as exc:
            raise AnalysisError(f"${KEY_ENV} must be hex (e.g. 64 hex digits for 32 bytes)") from exc
        if len(key) < 16:
            raise AnalysisError(f"${KEY_ENV} holds {len(key)} bytes; use at least 16 random bytes")
        return key
    path = key_path()
    if path.is_file():
        return bytes.fromhex(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it meanwhile: use theirs
        return bytes.fromhex(path.read_text().strip())
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_bytes(32).hex())
    return bytes.fromhex(path.read_text().strip())
