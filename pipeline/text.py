"""Language-independent text helpers shared by the stages: words, numbers, names, quotes."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

WORD_RE = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*", re.UNICODE)
# 1,000 / 1 000 / 1.5 / 10,5 / 2022 / 90-day -> the digits with their separators.
NUMBER_RE = re.compile(r"(?<![\w.,])\d+(?:[ \u00a0\u202f,.]\d{3})*(?:[.,]\d+)?(?![\w])|\d+")
URL_RE = re.compile(r"https?://\S+|www\.\S+|@\w+")
QUOTE_SPAN_RE = re.compile(r"“[^”]*”?|\"[^\"]*\"|«[^»]*»?|„[^“”]*[“”]?|”[^”]*”")
OPENING_QUOTES = "“\"«„"
CLOSING_QUOTES = "”\"»"


def words(text: str) -> list[str]:
    """Alphabetic words of ``text`` (apostrophes and hyphens inside a word kept)."""
    return WORD_RE.findall(text)


def folded_words(text: str) -> list[str]:
    """``words`` of ``fold(text)``: one normalization per text instead of one per word."""
    return WORD_RE.findall(fold(text))


@lru_cache(maxsize=65_536)
def normalize_number(token: str) -> str:
    """Canonical form of a number token: '1,000' / '1 000' / '1.000' -> '1000'; '1,5' -> '1.5'."""
    t = token.replace("\u00a0", " ").replace("\u202f", " ")
    groups = re.split(r"[ ,.]", t)
    if len(groups) > 1 and all(len(g) == 3 for g in groups[1:]) and t[-4] in " ,.":
        # thousands separators only ("1,000", "10 000", "2.500.000")
        if not (len(groups) == 2 and t[-4] == "." and len(groups[0]) > 3):
            return "".join(groups)
    return t.replace(" ", "").replace(",", ".")


def numbers(text: str) -> list[str]:
    """Normalized numbers that occur in ``text``, in order (with repeats)."""
    text = URL_RE.sub(" ", text)
    return [normalize_number(m.group(0)) for m in NUMBER_RE.finditer(text)]


_NAME_TOKEN_RE = re.compile(r"[^\W\d_][\w'’\-]*|[.!?:]")


def names(text: str) -> set[str]:
    """Capitalised words that are not the first word of a sentence (brands, people, places)."""
    found: set[str] = set()
    sentence_start = True
    for tok in _NAME_TOKEN_RE.findall(text):
        if tok in ".!?:":
            sentence_start = True
            continue
        if not sentence_start and not tok.islower() and any(c.isupper() for c in tok):  # "Meta", "TikTok"
            found.add(tok)
        sentence_start = False
    return found


CODE_RE = re.compile(r"(?<![\w-])(?:--?[A-Za-z][\w-]*(?:=\S*)?|/[\w./-]{2,}|[\w.-]+\(\d\)|https?://\S+|www\.\S+|<[^>\s]+>)")


def prose(text: str) -> str:
    """``text`` without URLs, e-mail addresses, command options and paths."""
    return CODE_RE.sub(" ", URL_RE.sub(" ", text))


def strip_quotes(text: str) -> str:
    """``text`` without quoted passages (“…”, "…", «…»)."""
    return QUOTE_SPAN_RE.sub(" ", text)


def quoted_share(text: str) -> float:
    """Share of the characters of ``text`` that are inside quotation marks."""
    stripped = text.strip()
    if not stripped:
        return 0.0
    if stripped[0] in OPENING_QUOTES and stripped[-1] in CLOSING_QUOTES + ".":
        return 1.0
    inside = sum(len(m.group(0)) for m in QUOTE_SPAN_RE.finditer(stripped))
    return min(1.0, inside / len(stripped))


@lru_cache(maxsize=262_144)
def fold(text: str) -> str:
    """Case- and accent-insensitive form used to compare lines across documents (cached: word
    lists repeat the same few thousand words)."""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        for mark in set(text) & _bmp_combining_marks():
            text = text.replace(mark, "")
        if _ASTRAL_RE.search(text):
            text = "".join(c for c in text if not unicodedata.combining(c))
        text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text).strip().casefold()


_ASTRAL_RE = re.compile("[\U00010000-\U0010FFFF]")


@lru_cache(maxsize=1)
def _bmp_combining_marks() -> frozenset[str]:
    """The combining marks (accents) of the Basic Multilingual Plane."""
    return frozenset(c for c in map(chr, range(0x10000)) if unicodedata.combining(c))


@lru_cache(maxsize=65_536)
def skeleton(text: str) -> str:
    """Consonant skeleton of a word or phrase, for spotting altered brand names.

    'TikTok' and 'Tick tack' both give 'tktk'; 'YouTube' and 'You Tube' both give 'ytb'.
    The first letter is kept even when it is a vowel ('Instagram' -> 'instgrm').
    """
    t = fold(text)
    t = re.sub(r"[^a-z]", "", t)
    if not t:
        return ""
    t = t.replace("ph", "f").replace("ck", "k").replace("c", "k").replace("q", "k").replace("x", "ks")
    head, rest = t[0], re.sub(r"[aeiouy]", "", t[1:])
    out = [head]
    for ch in rest:
        if ch != out[-1]:
            out.append(ch)
    return "".join(out)
