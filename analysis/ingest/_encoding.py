"""Which text encoding a file is in, and its text as UTF-8: BOMs, UTF-16/32 by NUL pattern, UTF-8, Windows-1252."""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass

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
    """Return ``data`` as UTF-8, the encoding found, and report notes that say which encoding and why.

    Tries UTF-16 (BOM or NUL pattern), UTF-8, then Windows-1252 and Latin-1, all strict. Valid UTF-8 is
    still read as Windows-1252 when its only non-ASCII text is characters no export holds (see
    :func:`unusual`), such as 'ß€' (bytes DF 80) that UTF-8 reads as the N'Ko digit '߀', and the whole file
    reads as Windows-1252 with no ordinary UTF-8 text anywhere. The judgement looks at the first 64 KB; the
    rest of the file is only scanned when the first 64 KB call for Windows-1252. With ``full=False`` only the
    first 64 KB are checked for UTF-8 (the CSV reader validates the rest and the caller retries with
    ``full=True`` if it fails); a UTF-8 BOM is then left for the reader to drop.

    Examples
    --------
    >>> to_utf8("Frühling €".encode("cp1252"), "x.csv")[1]
    'cp1252'
    >>> to_utf8("Notiz;ß€".encode("cp1252"), "x.csv")[:2]
    (b'Notiz;\xc3\x9f\xe2\x82\xac', 'cp1252')
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
    bom = data.startswith(b"\xef\xbb\xbf")
    try:
        if full or len(data) <= SNIFF_BYTES:
            sample = data.decode("utf-8")[:SNIFF_BYTES]
            data = data[3:] if bom else data
        else:
            sample = codecs.getincrementaldecoder("utf-8")().decode(data[:SNIFF_BYTES], final=False)
    except UnicodeDecodeError as exc:
        return _not_utf8(data, name, exc.start)
    if bom:
        return data, "utf-8", ("Encoding: UTF-8 (the file starts with the UTF-8 byte-order mark)",)
    if sample.isascii():
        return data, "utf-8", ()
    found = _first_non_ascii(sample)
    line = sample.count("\n", 0, found.index) + 1
    if not found.unusual:
        return data, "utf-8", (f"Encoding: UTF-8 (valid UTF-8; its non-ASCII text, such as {found.char!r} on line "
                               f"{line:,}, is ordinary text)",)
    shown = f"{found.char!r} ({_char_name(found.char)})"
    try:
        as_cp1252 = found.char.encode().decode("cp1252")
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return data, "utf-8", (f"Encoding: UTF-8 (valid UTF-8, although line {line:,} reads {shown}; the file is "
                               "not Windows-1252 either)",)
    if not _latin_pair(as_cp1252):
        return data, "utf-8", (f"Encoding: UTF-8 (valid UTF-8, although line {line:,} reads {shown}; as Windows-1252 "
                               f"it would read {as_cp1252!r}, no more likely)",)
    plain = _plain_utf8(data)
    if plain is not None:
        return data, "utf-8", (f"Encoding: UTF-8 (valid UTF-8; line {line:,} reads {shown}, but line "
                               f"{plain[0]:,} holds ordinary UTF-8 text ({plain[1]!r}))",)
    return text.encode(), "cp1252", (
        f"Encoding: Windows-1252 (the file is also valid UTF-8, but as UTF-8 its non-ASCII text would only be "
        f"characters no export holds, such as {shown} on line {line:,}; as Windows-1252 that reads {as_cp1252!r})",)


def _not_utf8(data: bytes, name: str, start: int) -> tuple[bytes, str, tuple[str, ...]]:
    """Read bytes that are not UTF-8 (first bad byte at ``start``) as Windows-1252 or Latin-1, or refuse a mix."""
    line = data.count(b"\n", 0, start) + 1
    plain = _plain_utf8(data)
    if plain is not None:
        # UTF-8 text with a stray byte: re-decoding it all would turn every 'ü' into 'Ã¼' on every row
        raise IngestError(
            f"{name}, line {line:,}: byte 0x{data[start]:02X} is not UTF-8, but other lines are UTF-8 "
            f"text (such as {plain[1]!r} on line {plain[0]:,}, written as {len(plain[1].encode())} bytes): the "
            "file mixes encodings. Save it again as 'CSV UTF-8' or remove the broken line.") from None
    for encoding, label in (("cp1252", "Windows-1252"), ("latin-1", "Latin-1")):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text.encode(), encoding, (f"Encoding: {label} (first non-UTF-8 byte at line {line})",)
    raise AssertionError("latin-1 decodes every byte")  # pragma: no cover


@dataclass(frozen=True)
class _Found:
    index: int
    char: str
    unusual: bool


def _first_non_ascii(sample: str) -> _Found:
    """The first ordinary non-ASCII character of ``sample``, else its first unusual one."""
    first: _Found | None = None
    for match in _NON_ASCII.finditer(sample):
        i = match.start()
        odd = unusual(match.group(), sample[i - 1:i], sample[i + 1:i + 2])
        if not odd:
            return _Found(i, match.group(), False)
        first = first or _Found(i, match.group(), True)
    assert first is not None, "the caller checked that the sample is not ASCII"
    return first


def _plain_utf8(data: bytes) -> tuple[int, str] | None:
    """Line and text of the first ordinary UTF-8 character in ``data`` (a multi-byte sequence), if any."""
    # one C-speed decode; the bytes that are no UTF-8 become U+FFFD, so what is left beyond ASCII is UTF-8 text
    text = data.decode("utf-8", errors="replace")
    if text.replace("\ufffd", "").isascii():
        return None
    for match in _DECODED.finditer(text):
        i = match.start()
        if not unusual(match.group(), text[i - 1:i], text[i + 1:i + 2]):
            return text.count("\n", 0, i) + 1, match.group()
    return None


def unusual(char: str, before: str = "", after: str = "") -> bool:
    """Whether UTF-8 text holding ``char`` between ``before`` and ``after`` is more likely Windows-1252.

    A Windows-1252 letter followed by a symbol (``ß€``, ``Ü°``, ``Ø„``) is valid UTF-8 for one character in
    U+0080..U+07FF; longer runs reach further. Unusual are: C1 control characters (U+0080..U+009F, from
    ``Â`` + a symbol), private-use characters, a combining accent on no letter, and one letter of a script
    Windows-1252 pairs land in (Cyrillic, Armenian, Hebrew, Arabic, Syriac, Thaana, N'Ko, Samaritan, Mandaic)
    standing alone, with no neighbour of its script: real text in those scripts comes in words. Latin and
    Greek are never unusual ('Ä°' is 'İ', 'Ï€' is 'π': both ordinary in UTF-8 data).

    Examples
    --------
    >>> unusual("\u07c0", ";", ""), unusual("\u0645", "\u0631", "\u062d"), unusual("ß")
    (True, False, False)
    """
    code = ord(char)
    if 0x80 <= code <= 0x9F or 0xE000 <= code <= 0xF8FF:
        return True
    if 0x0300 <= code <= 0x036F:
        return not before or not unicodedata.category(before).startswith("L")
    script = _pair_script(code)
    if script is None:
        return False
    return all(not n or _pair_script(ord(n)) != script for n in (before, after))


def _latin_pair(text: str) -> bool:
    """Whether Windows-1252 text made of one lead byte and its trail bytes starts with a plausible letter.

    'Â' and 'Ã' followed by a symbol are the marks of UTF-8 text already read once as Windows-1252 ('Â°' for '°'),
    so they are no more likely than the UTF-8 reading.
    """
    return unicodedata.category(text[0]).startswith("L") and text[0] not in "ÂÃ"


# the scripts a Windows-1252 letter + symbol decodes into as UTF-8, by block (Latin and Greek left out)
_PAIR_SCRIPTS = (
    (0x0400, 0x052F, "Cyrillic"), (0x0530, 0x058F, "Armenian"), (0x0590, 0x05FF, "Hebrew"),
    (0x0600, 0x06FF, "Arabic"), (0x0700, 0x074F, "Syriac"), (0x0750, 0x077F, "Arabic"),
    (0x0780, 0x07BF, "Thaana"), (0x07C0, 0x07FF, "NKo"), (0x0800, 0x083F, "Samaritan"),
    (0x0840, 0x085F, "Mandaic"), (0x0860, 0x086F, "Syriac"), (0x0870, 0x08FF, "Arabic"),
)


def _pair_script(code: int) -> str | None:
    if not 0x0400 <= code <= 0x08FF:
        return None
    return next(script for lo, hi, script in _PAIR_SCRIPTS if lo <= code <= hi)


def _char_name(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, 'a control character')}"


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_DECODED = re.compile("[^\x00-\x7f\ufffd]")


_UTF32_BOMS = (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")


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
