"""Which text encoding a file is in, and its text as UTF-8: BOMs, UTF-16/32 by NUL pattern, UTF-8, Windows-1252."""

from __future__ import annotations

import codecs
import re

from analysis.errors import IngestError

SNIFF_BYTES = 64 * 1024


def looks_utf16(head: bytes) -> bool:
    """Whether the first KB looks like UTF-16 without a BOM (one byte lane mostly NUL)."""
    sample = head[:1024]
    if len(sample) < 4:
        return False
    even, odd = sample[0::2].count(0) / len(sample[0::2]), sample[1::2].count(0) / len(sample[1::2])
    # ASCII text in UTF-16: one byte lane is mostly NUL, the other almost never
    return (odd > 0.4 and even < 0.05) or (even > 0.4 and odd < 0.05)


def to_utf8(data: bytes, name: str, *, full: bool = True) -> tuple[bytes, str, tuple[str, ...]]:
    """Return ``data`` as UTF-8, the encoding found, and report notes.

    Tries UTF-16 (BOM or NUL pattern), UTF-8, then Windows-1252 and Latin-1, all strict. With
    ``full=False`` only the first 64 KB are checked for UTF-8 (the CSV reader validates the rest and the
    caller retries with ``full=True`` if it fails); a UTF-8 BOM is then left for the reader to drop.

    Examples
    --------
    >>> to_utf8("Frühling €".encode("cp1252"), "x.csv")[1]
    'cp1252'
    """
    if data.startswith(_UTF32_BOMS) or looks_utf32(data[:1024]):
        return _decode_wide(data, name, "utf-32" if data.startswith(_UTF32_BOMS) else (
            "utf-32-le" if data[1:4] == b"\x00\x00\x00" else "utf-32-be"), "UTF-32")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or looks_utf16(data[:1024]):
        encoding = "utf-16" if data.startswith((b"\xff\xfe", b"\xfe\xff")) else (
            "utf-16-le" if data[1:2] == b"\x00" else "utf-16-be")
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            raise IngestError(f"{name} looks like UTF-16 but byte {exc.start} is invalid; "
                              "save it again as 'CSV UTF-8'.") from exc
        return text.lstrip("\ufeff").encode(), "utf-16", ("Encoding: UTF-16 (converted to UTF-8)",)
    try:
        if full or len(data) <= SNIFF_BYTES:
            data.decode("utf-8")
            return (data[3:] if data.startswith(b"\xef\xbb\xbf") else data), "utf-8", ()
        codecs.getincrementaldecoder("utf-8")().decode(data[:SNIFF_BYTES], final=False)
        return data, "utf-8", ()
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        if _UTF8_MULTIBYTE.search(data):
            # UTF-8 text with a stray byte: re-decoding it all would turn every 'ü' into 'Ã¼' on every row
            raise IngestError(
                f"{name}, line {line:,}: byte 0x{data[exc.start]:02X} is not UTF-8, but other lines are UTF-8 "
                "text (such as 'ü' written as two bytes): the file mixes encodings. Save it again as 'CSV UTF-8' "
                "or remove the broken line.") from None
        for encoding, label in (("cp1252", "Windows-1252"), ("latin-1", "Latin-1")):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                continue
            return text.encode(), encoding, (f"Encoding: {label} (first non-UTF-8 byte at line {line})",)
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


_UTF32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def looks_utf32(head: bytes) -> bool:
    """Whether the first KB looks like UTF-32 without a BOM (three byte lanes NUL)."""
    sample = head[:1024]
    if len(sample) < 8:
        return False
    lanes = [sample[i::4].count(0) / len(sample[i::4]) for i in range(4)]
    # ASCII text in UTF-32: three byte lanes are NUL, the other almost never
    return (min(lanes[1:]) > 0.9 and lanes[0] < 0.05) or (min(lanes[:3]) > 0.9 and lanes[3] < 0.05)


def _decode_wide(data: bytes, name: str, encoding: str, label: str) -> tuple[bytes, str, tuple[str, ...]]:
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise IngestError(f"{name} looks like {label} but byte {exc.start:,} is invalid; "
                          "save it again as 'CSV UTF-8'.") from None
    return text.lstrip("\ufeff").encode(), "utf-32", (
        f"Encoding: {label} (converted to UTF-8)",)
