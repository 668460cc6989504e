"""Language-independent text helpers shared by the stages: words, numbers, names, quotes."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

WORD_RE = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*", re.UNICODE)
# 1,000 / 1 000 / 1.5 / 10,5 / 2022 / 90-day -> the digits with their separators.
# (Each pattern opens on its digit and looks behind from there: the same matches as a look-behind
# first, and the regex engine skips ahead to the next digit instead of testing every position.)
NUMBER_RE = re.compile(r"\d(?<![\w.,]\d)\d*(?:[ \u00a0\u202f,.]\d{3})*(?:[.,]\d+)?(?![\w])|\d+")
URL_RE = re.compile(r"https?://\S+|www\.\S+|@\w+")
QUOTE_SPAN_RE = re.compile(r"“[^”]*”?|\"[^\"]*\"|«[^»]*»?|„[^“”]*[“”]?|”[^”]*”")
OPENING_QUOTES = "“\"«„"
CLOSING_QUOTES = "”\"»"


# Scripts written without spaces between words: a run of them counts as one word per two characters
# (about the length of a Japanese or Chinese word), so word counts and overlaps mean the same in any script.
UNSPACED_CHAR = ("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f\u0e80-\u0eff"
                 "\u1000-\u109f\u1780-\u17ff\uff66-\uff9f]")
UNSPACED_RE = re.compile(UNSPACED_CHAR + "+")


def _chunked(found: list[str]) -> list[str]:
    out: list[str] = []
    for w in found:
        if UNSPACED_RE.search(w):
            for part in re.split(f"({UNSPACED_RE.pattern})", w):
                if not part:
                    continue
                if UNSPACED_RE.fullmatch(part):
                    out.extend(part[i:i + 2] for i in range(0, len(part), 2))
                elif WORD_RE.fullmatch(part):
                    out.append(part)
        else:
            out.append(w)
    return out


def words(text: str) -> list[str]:
    """Alphabetic words of ``text`` (apostrophes and hyphens inside a word kept); text in a script
    written without spaces (Japanese, Chinese, Thai…) gives one word per two characters."""
    return list(_words(text))


@lru_cache(maxsize=16_384)
def _words(text: str) -> tuple[str, ...]:
    """:func:`words`, remembered: every stage and several detectors read the words of the same texts."""
    found = WORD_RE.findall(text)
    return tuple(found if text.isascii() or not UNSPACED_RE.search(text) else _chunked(found))


def folded_words(text: str) -> list[str]:
    """``words`` of ``fold(text)``: one normalization per text instead of one per word."""
    return words(fold(text))


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


#: A date written with one separator ("1/1/30", "1.1.30", "2020-01-31"): translations reorder and
#: re-punctuate its parts, so it counts as its three numbers.
DATE_RE = re.compile(r"(\d(?<![\w.,/-]\d)\d{0,3})([./-])(\d{1,2})\2(\d{1,4})(?![\w/-]|[.,]\d)")
#: A digit next to a character of a script written without spaces ("表11.2", "2回").
_UNSPACED_CHAR_RE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff00-\uffef]")
_UNSPACED_DIGIT = re.compile(rf"(?<={_UNSPACED_CHAR_RE.pattern})(?=\d)|(?<=\d)(?={_UNSPACED_CHAR_RE.pattern})")


def numbers(text: str) -> list[str]:
    """Normalized numbers that occur in ``text``, in order (with repeats); a date counts as its three
    numbers."""
    return list(_numbers(text))


@lru_cache(maxsize=65_536)
def _numbers(text: str) -> tuple[str, ...]:
    """:func:`numbers`, remembered: the detectors and the aligner read the numbers of the same texts."""
    text = URL_RE.sub(" ", text)
    if _UNSPACED_CHAR_RE.search(text):
        text = _UNSPACED_DIGIT.sub(" ", text)
    text = DATE_RE.sub(lambda m: f" {int(m.group(1))} {int(m.group(3))} {int(m.group(4))} ", text)
    return tuple(normalize_number(m.group(0)) for m in NUMBER_RE.finditer(text))


_NAME_TOKEN_RE = re.compile(r"[^\W\d_][\w'’\-]*|[.!?:]")


def names(text: str) -> set[str]:
    """Capitalised words that are not the first word of a sentence (brands, people, places).

    In Title Case text ("ByteDance Adds Restrictions on Access to TikTok Data") capitals say nothing
    of names: there only words with a capital inside ("TikTok"), a digit or all capitals count."""
    found: set[str] = set()
    sentence_start = True
    tokens = _NAME_TOKEN_RE.findall(text)
    title_case = _is_title_case(tokens)
    for tok in tokens:
        if tok in ".!?:":
            sentence_start = True
            continue
        if title_case:
            if any(map(str.isupper, tok[1:])) or any(map(str.isdigit, tok)):
                found.add(tok)
        elif not sentence_start and not tok.islower() and any(map(str.isupper, tok)):  # "Meta", "TikTok"
            found.add(tok)
        sentence_start = False
    return found


def _is_title_case(tokens: list[str]) -> bool:
    long_words = [t for t in tokens if len(t) >= 4 and t[0].isalpha()]
    if len(long_words) < 3:
        return False
    return sum(t[0].isupper() for t in long_words) >= 0.75 * len(long_words)


CODE_RE = re.compile(r"(?<![\w-])(?:--?[A-Za-z][\w-]*(?:=\S*)?|/[\w./-]{2,}|[\w.-]+\(\d\)|https?://\S+|www\.\S+|<[^>\s]+>)"
                     r"|(?<![\w%])%[-#0 +']?\d*(?:\.\d+)?[A-Za-z](?!\w)")  # … and printf directives: %s, %-10d


@lru_cache(maxsize=65_536)
def prose(text: str) -> str:
    """``text`` without URLs, e-mail addresses, command options and paths."""
    return CODE_RE.sub(" ", URL_RE.sub(" ", text))


@lru_cache(maxsize=65_536)
def mask_code(text: str) -> str:
    """``text`` with URLs, e-mail addresses, command options and paths blanked out by as many spaces:
    what ``prose`` removes, with every other character where it was."""
    for pattern in (URL_RE, CODE_RE):
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text


_SINGLE_QUOTED_RE = re.compile(r"(?<!\w)'[^'\n]{1,80}'(?!\w)|‘[^’\n]{1,80}’")


@lru_cache(maxsize=65_536)
def mask_quotes(text: str) -> str:
    """``text`` with quoted passages (double and single quotes) blanked out by as many spaces."""
    for pattern in (QUOTE_SPAN_RE, _SINGLE_QUOTED_RE):
        text = pattern.sub(lambda m: " " * len(m.group(0)), text)
    return text


_QUOTE_MARK_RE = re.compile(f"[{OPENING_QUOTES}{CLOSING_QUOTES}]")


def unquote(text: str) -> str:
    """``text`` with its quotation marks (“…”, "…", «…») blanked out and the quoted words kept."""
    return QUOTE_SPAN_RE.sub(lambda m: _QUOTE_MARK_RE.sub(" ", m.group(0)), text)


def strip_quotes(text: str) -> str:
    """``text`` without quoted passages (“…”, "…", «…»)."""
    return QUOTE_SPAN_RE.sub(" ", text)


_SENTENCE_END_RE = re.compile(r"[.:;?!,。．！？：；，]\s*$")  # Japanese and Chinese marks too
#: a section number closing a line alone or after a breadcrumb's separator ("2.7.15.", "… › 4.5."): its dot
#: ends no sentence
_SECTION_NUMBER_END_RE = re.compile(r"(?:^\s*|[›»>|/]\s*)\d+(?:\.\d+)*\.?\s*$")


def link_like(text: str) -> bool:
    """A line that reads like a link or a button, not a sentence: no sentence punctuation at its end."""
    return not _SENTENCE_END_RE.search(text) or bool(_SECTION_NUMBER_END_RE.search(text))


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
    The first letter is kept even when it is a vowel ('Instagram' -> 'instgrm'). Letters of any
    script count ('Тикток' -> 'ткток').
    """
    t = "".join(c for c in fold(text) if c.isalpha())
    if not t:
        return ""
    t = t.replace("ph", "f").replace("ck", "k").replace("c", "k").replace("q", "k").replace("x", "ks")
    # vowels of the Latin, Greek and Cyrillic alphabets drop out; other scripts keep every letter
    head, rest = t[0], re.sub(r"[aeiouyαεηιουωаеиоуыэюяё]", "", t[1:])
    out = [head]
    for ch in rest:
        if ch != out[-1]:
            out.append(ch)
    return "".join(out)


def content_words(text: str, glossary: tuple[str, ...] = ()) -> list[str]:
    """Words that tell a language: outside quotes, URLs and code, not names, placeholders
    (``FILE``) or glossary terms."""
    return list(_content_words(text, tuple(glossary)))


@lru_cache(maxsize=65_536)
def _content_words(text: str, glossary: tuple[str, ...]) -> tuple[str, ...]:
    """:func:`content_words`, remembered: several detectors count the content words of each segment."""
    stripped = prose(strip_quotes(text))
    skip = {fold(n) for n in names(stripped)} | {fold(t) for t in glossary}
    return tuple(w for w in words(stripped) if fold(w) not in skip and not (len(w) > 1 and w.isupper()))
