"""Text encodings a file can be proven to be in, and the signs that it is not what it seems.

A CSV file is read in one encoding, or refused: a line of valid UTF-8 in a file read as CP1252
(or the other way round) would be served as "BesanÃ§on", and so would UTF-8 text that was
converted to UTF-8 a second time. Both are found line by line and named with the line and a
short excerpt; nothing is decoded by guesswork.
"""

from __future__ import annotations

import codecs
import re
from functools import cache

# characters that CP1252 (or, for 0x80-0x9F, Latin-1) writes with a byte 0x80-0xBF: the
# continuation bytes of UTF-8, as they look once UTF-8 has been decoded as CP1252
_CONTINUATION = (
    "\u0080-\u00bf\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152"
    "\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178"
)
# a UTF-8 lead byte as CP1252 shows it, followed by as many continuation bytes as it announces
_DOUBLE_ENCODED = re.compile(
    f"[\u00c2-\u00df][{_CONTINUATION}]"
    f"|[\u00e0-\u00ef][{_CONTINUATION}]{{2}}"
    f"|[\u00f0-\u00f4][{_CONTINUATION}]{{3}}"
)
EXCERPT_CHARS = 40


def is_single_byte(encoding: str) -> bool:
    """True for CP1252, Latin-1, ISO-8859-15… (each byte one character), where a line of valid
    UTF-8 would be read without an error, as mojibake."""
    return _single_byte(codecs.lookup(encoding).name)


@cache
def _single_byte(name: str) -> bool:
    if name.startswith("utf"):
        return False
    try:
        high = bytes(range(0x80, 0x100)).decode(name, errors="replace")
        return len(high) == 0x80 and "A".encode(name) == b"A"
    except (LookupError, UnicodeError):
        return False


def is_utf8_text(raw: bytes) -> bool:
    """A line holding non-ASCII characters that is valid UTF-8: in a file read as CP1252 it says
    the file is UTF-8 there. (A CP1252 line of French text is almost never valid UTF-8: its
    accented letters would each have to be followed by one to three symbols such as « or °.)"""
    if raw.isascii():
        return False
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def double_encoded(text: str) -> tuple[int, str, str] | None:
    """Where `text` holds UTF-8 that was decoded as CP1252 and encoded again: the index, the
    characters found ("Ã©") and the one they stood for ("é"); None if nowhere."""
    if text.isascii():
        return None
    for match in _DOUBLE_ENCODED.finditer(text):
        raw = _as_cp1252(match.group())
        if raw is None:
            continue
        try:
            meant = raw.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if _latin_or_punctuation(meant):
            return match.start(), match.group(), meant
    return None


def _as_cp1252(text: str) -> bytes | None:
    out = bytearray()
    for char in text:
        try:
            out += char.encode("cp1252")
        except UnicodeEncodeError:
            if ord(char) > 0xFF:
                return None
            out.append(ord(char))  # 0x81, 0x8D…: undefined in CP1252, kept by Latin-1
    return bytes(out)


def _latin_or_punctuation(char: str) -> bool:
    # what French and other Latin-script text holds: letters with accents, œ, €, ’, «, …
    code = ord(char)
    return (
        0xA0 <= code <= 0x24F
        or 0x300 <= code <= 0x36F
        or 0x1E00 <= code <= 0x1EFF
        or 0x2000 <= code <= 0x214F
    )


def excerpt(text: str, index: int = 0) -> str:
    """A short quoted piece of a line around `index`, end of line dropped."""
    text = text.rstrip("\r\n")
    start = max(0, index - EXCERPT_CHARS // 2)
    piece = text[start : start + EXCERPT_CHARS]
    before = "…" if start > 0 else ""
    after = "…" if start + EXCERPT_CHARS < len(text) else ""
    return '"' + before + piece.replace('"', "'") + after + '"'


def first_non_ascii(text: str) -> int:
    return next((i for i, char in enumerate(text) if ord(char) >= 0x80), 0)
