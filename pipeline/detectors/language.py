"""Language detectors: text left in the source language, sentences that mix languages, and runs of the
original copied into a translation."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from ..groups import AlignedGroup, ArticleContext, Segment
from ..settings import Settings, setting
from ..text import UNSPACED_CHAR, WORD_RE, content_words, fold, folded_words, mask_code, mask_quotes, prose, unquote
from .base import Detector, Evidence, Finding, Highlight, shorten


def _span_words(seg: Segment, glossary: tuple[str, ...]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for s in seg.spans:
        counts[s.lang] += len(content_words(seg.text[s.start:s.end], glossary))
    return dict(counts)


def _checked(seg: Segment, ctx: ArticleContext) -> bool:
    return ctx.role == "variant" and not seg.is_boilerplate and seg.lang is not None


class UntranslatedDetector(Detector):
    name = "untranslated"
    flag = "untranslated"
    severity = "critical"
    summary = ("the segment is in the source language (or identical to its original) where another language was "
               "expected, with enough words outside quotes (a copy's quotes count when a word of its own, no name "
               "or function word, frames them), names and code; titles included")

    @dataclass(frozen=True)
    class Settings(Settings, section="flags"):
        min_words: int = setting(4, "content words (outside quotes, names, code) a segment needs", lo=1, hi=1000)
        min_words_identical: int = setting(3, "… a segment identical to its original needs, when it holds a function "
                                              "word of the source language that is none of the expected language's "
                                              "(\"Click the Format button.\" left in a German page: a sentence, "
                                              "not a name or a term), whatever language it is identified as",
                                           lo=1, hi=1000)
        min_confidence: float = setting(0.5, "language-identification confidence needed", lo=0.0, hi=1.0)
        max_expected_span_words: int = setting(2, "a mixed segment is untranslated only when its spans in the "
                                                  "expected language hold at most this many words", lo=0, hi=1000)
        min_source_script: float = setting(0.7, "share of the segment's letters (outside code, URLs and quotes) "
                                                "that must be in the source language's script", lo=0.0, hi=1.0)
        max_expected_function_words: float = setting(0.1, "a segment whose function words of the expected language "
                                                          "make more than this share of its words is not "
                                                          "untranslated", lo=0.0, hi=1.0)
        min_copied: float = setting(0.5, "in an article with an original: the share of the segment's words its "
                                         "aligned original has (an untranslated segment is the original's text)",
                                    lo=0.0, hi=1.0)

    def score(self, group: AlignedGroup, ctx: ArticleContext) -> list[Evidence | None] | None:
        if ctx.role != "variant" or not group.variant:
            return None
        out: list[Evidence | None] = []
        original = group.original_text
        for seg in group.variant:
            if not _checked(seg, ctx) or (not ctx.translated and seg.lang == ctx.lang):
                out.append(None)
                continue
            # a copy of its original with words of its own outside the quotes ("See Section 9.4.9,
            # “Repeating a command …”") left its quotes untranslated too: they count; a quoted title
            # and where it is ("“Debugging with GDB” in /usr/share/…") is a reference, not prose
            identical = len(group.variant) == 1 and group.copies_original
            text = unquote(seg.text) if identical and _framed_in(seg.text, ctx.source_lang, ctx.lang) else seg.text
            plain = mask_quotes(mask_code(text))
            ev = {"lang": seg.lang, "conf": seg.confidence, "expected": ctx.lang, "source": ctx.source_lang,
                  "words": len(content_words(text, ctx.glossary)), "spans": _span_words(seg, ctx.glossary),
                  "identical": identical,
                  "paired": ctx.paired, "end": len(seg.text), "source_script": _latin_share(plain),
                  "expected_function_words": _function_share(plain, ctx.lang, ctx.source_lang),
                  "source_function_words": _function_words(plain, ctx.source_lang, ctx.lang),
                  "copied": _copied_share(plain, original) if original else None}
            out.append(ev)
        return out if any(out) else None

    def decide(self, ev: Evidence, s: Settings, calibration: dict) -> Finding | None:
        lang, expected, source = ev["lang"], ev["expected"], ev["source"]
        spans = ev["spans"]
        # the original's own text, identified as its language: spans of the expected language in it
        # are the identifier's noise ("… 4th stage of the boot process …" read as part German)
        # a copy of its original with the source language's grammar is the source language, whatever the
        # identifier makes of a few words ("On the Standard toolbar, click" read as German); one read as
        # the source language is, at any confidence (lingua weighs a few English words against its
        # Latin-script neighbours: "Enter text input mode." in a Japanese page)
        sentence_copy = ev["identical"] and ev["source_function_words"] > 0
        copy = sentence_copy or (ev["identical"] and lang == source)
        if spans and not copy:
            if spans.get(expected, 0) > s.max_expected_span_words or spans.get(source, 0) < s.min_words:
                return None
            lang = source
        elif not copy and (lang == expected or ev["conf"] is None or ev["conf"] < s.min_confidence):
            return None
        if ev["words"] < (s.min_words_identical if sentence_copy else s.min_words):
            return None  # quotes and names alone are not enough
        if source in _LATIN_SCRIPT and ev["source_script"] < s.min_source_script:
            return None  # mostly another script: code or terms inside a Japanese sentence
        if ev["expected_function_words"] > s.max_expected_function_words:
            return None  # "… ist OpenLDAP": the grammar is the expected language's, the terms are English
        if ev["paired"] and not ev["identical"] and ev["copied"] is not None and ev["copied"] < s.min_copied:
            return None  # an untranslated segment repeats its original; this one says something else
        whole = (Highlight(0, ev["end"]),)
        if ev["identical"]:
            return Finding(f"identical to the original segment, in {source if sentence_copy else lang} where "
                           f"{expected} was expected", whole)
        if lang == source or (ev["paired"] and lang != expected):
            return Finding(f"{lang} (confidence {ev['conf']:.2f}) where {expected} was expected", whole)
        return None


class MixedLanguageDetector(Detector):
    name = "mixed_language"
    flag = "partially_translated"
    severity = "major"
    summary = "language spans mix the expected and the source language with enough words each"
    unless = ("untranslated",)

    @dataclass(frozen=True)
    class Settings(Settings, section="flags"):
        min_span_words: int = setting(3, "content words each language's spans need", lo=1, hi=1000)
        min_function_words: int = setting(2, "function words of the source language its spans need (English "
                                             "prose left in the sentence, not names and terms)", lo=0, hi=1000)

    def score(self, group: AlignedGroup, ctx: ArticleContext) -> list[Evidence | None] | None:
        if ctx.role != "variant" or not ctx.translated:
            return None
        out: list[Evidence | None] = []
        for seg in group.variant:
            if not _checked(seg, ctx) or not seg.spans:
                out.append(None)
                continue
            source_text = " ".join(seg.text[sp.start:sp.end] for sp in seg.spans if sp.lang == ctx.source_lang)
            out.append({"expected": ctx.lang, "source": ctx.source_lang, "words": _span_words(seg, ctx.glossary),
                        "function": _function_words(source_text, ctx.source_lang, ctx.lang),
                        "spans": [[sp.start, sp.end, sp.lang, shorten(seg.text[sp.start:sp.end], 40)]
                                  for sp in seg.spans]})
        return out if any(out) else None

    def decide(self, ev: Evidence, s: Settings, calibration: dict) -> Finding | None:
        # only the source language counts as the other half: lingua's spans confuse Swedish with its
        # neighbours (nb, da, de), which is not what a half-translated sentence looks like
        if ev["words"].get(ev["expected"], 0) < s.min_span_words or ev["words"].get(ev["source"], 0) < s.min_span_words:
            return None
        if ev.get("function", 0) < s.min_function_words:
            return None  # names and terms (“Writer, Impress och Draw”), not the source language's prose
        parts = ", ".join(f"{lang} “{text}”" for _, _, lang, text in ev["spans"])
        return Finding(f"mixes languages where {ev['expected']} was expected: {parts}",
                       tuple(Highlight(a, b) for a, b, lang, _ in ev["spans"] if lang == ev["source"]))


def copied_run(variant: str, original: str) -> tuple[list[str], int, int]:
    """The longest run of words that ``variant`` copies from ``original`` (quotes and code aside), with
    its character offsets in ``variant``."""
    found = list(WORD_RE.finditer(mask_quotes(mask_code(variant))))
    v = [fold(m.group(0)) for m in found]
    o = folded_words(mask_quotes(prose(original)))
    common = set(v).intersection(o)  # a translation shares a name or two with its original, no more
    if not common:
        return [], 0, 0
    if len(common) == 1 and not any(a == b for a, b in zip(v, v[1:]) if a in common):
        k = v.index(next(iter(common)))  # the one word it shares: a run of one, where it first occurs
        return [found[k].group(0)], *found[k].span()
    m = difflib.SequenceMatcher(a=v, b=o, autojunk=False).find_longest_match(0, len(v), 0, len(o))
    if m.size == 0:
        return [], 0, 0
    return [x.group(0) for x in found[m.a:m.a + m.size]], found[m.a].start(), found[m.a + m.size - 1].end()


class CopiedRunDetector(Detector):
    name = "copied_run"
    flag = "partially_translated"
    severity = "major"
    summary = "a translated segment copies a run of words of its original untranslated"
    unless = ("untranslated", "partially_translated")

    @dataclass(frozen=True)
    class Settings(Settings, section="flags"):
        min_words: int = setting(5, "words copied in a row from the original", lo=1, hi=1000)
        max_share: float = setting(0.8, "… while the rest holds more than this share of the segment's words "
                                        "(else it is untranslated, not partly)", lo=0.0, hi=1.0)
        min_function_words: int = setting(2, "function words of the source language the copied run needs (prose, "
                                             "not a name or a term like “Lightweight Directory Access Protocol”)",
                                          lo=0, hi=1000)

    def score(self, group: AlignedGroup, ctx: ArticleContext) -> list[Evidence | None] | None:
        original = group.original_text
        if ctx.role != "variant" or ctx.comparable or not ctx.translated or not original:
            return None
        out: list[Evidence | None] = []
        for seg in group.variant:
            if seg.block in ("boilerplate", "code"):
                out.append(None)
                continue
            run, start, end = copied_run(seg.text, original)
            out.append({"run": len(run), "words": len(content_words(seg.text, ctx.glossary)),
                        "function": _function_words(" ".join(run), ctx.source_lang, ctx.lang),
                        "text": shorten(" ".join(run), 60), "start": start, "end": end} if len(run) >= 2 else None)
        return out if any(out) else None

    def decide(self, ev: Evidence, s: Settings, calibration: dict) -> Finding | None:
        if ev["run"] < s.min_words or ev["run"] >= s.max_share * max(1, ev["words"]):
            return None
        if ev.get("function", 0) < s.min_function_words:
            return None
        return Finding(f"copies {ev['run']} words of the original untranslated: “{ev['text']}”",
                       (Highlight(ev["start"], ev["end"]),))


#: Source languages written in the Latin script (the script check applies to them).
_LATIN_SCRIPT = frozenset("en fr de es it pt nl sv da nb nn fi pl cs sk sl hr ro hu tr id ms vi ca eu gl et lv lt "
                          "sq af sw tl".split())


#: an English gloss in parentheses right after a word of a script without spaces: “必須 (essential)”
_GLOSS_RE = re.compile(rf"(?<={UNSPACED_CHAR})\s*[(（][A-Za-z][^()（）]*[)）]")
#: a character of a script without spaces says about as much as two Latin letters (Japanese runs at half
#: the length of its English original)
_UNSPACED_WEIGHT = 2
_UNSPACED_CHAR_RE = re.compile(UNSPACED_CHAR)


def _latin_share(text: str) -> float:
    """Share of the letters of ``text`` in the Latin script, a letter of a script without spaces counting
    twice, and glosses of such words left out."""
    if text.isascii():
        return 1.0  # every letter, if any, is a Latin one
    text = _GLOSS_RE.sub(" ", text)
    latin = other = 0
    for c in text:
        if not c.isalpha():
            continue
        if c.isascii() or "\u00c0" <= c <= "\u024f":
            latin += 1
        else:
            other += _UNSPACED_WEIGHT if _UNSPACED_CHAR_RE.match(c) else 1
    return round(latin / (latin + other), 3) if latin + other else 1.0


def _function_share(text: str, expected: str, source: str) -> float:
    """Share of the words that are function words of the expected language (and not of the source
    language): the grammar of a sentence whose terms are English."""
    theirs = _function_words_only(expected, source)
    ws = folded_words(text)
    if not ws or not theirs:
        return 0.0
    return round(sum(1 for w in ws if w in theirs) / len(ws), 3)


@lru_cache(maxsize=64)
def _function_words_only(expected: str, source: str) -> frozenset[str]:
    """Function words of the expected language that are not function words of the source language."""
    from ..lexicon import STOPWORDS

    return STOPWORDS.get(expected, frozenset()) - STOPWORDS.get(source, frozenset())


def _copied_share(text: str, original: str) -> float:
    """Share of the segment's words (four letters or more) that its original has."""
    mine = [w for w in folded_words(text) if len(w) >= 4]
    if not mine:
        return 1.0
    theirs = set(folded_words(original))
    return round(sum(1 for w in mine if w in theirs) / len(mine), 3)


def _framed_in(text: str, source: str, expected: str) -> bool:
    """Whether the words outside the quotes of ``text`` hold one that is neither a name nor a
    function word (of the ``source`` or the ``expected`` language): "See" in "See Section 9.4.9, “…”",
    not "in" in "“Debugging with GDB” in /usr/share/…", a title and where it is."""
    grammar = _function_words_of(source, expected)
    return any(fold(w) not in grammar for w in content_words(text))


@lru_cache(maxsize=64)
def _function_words_of(source: str, expected: str) -> frozenset[str]:
    """Function words of either language."""
    from ..lexicon import STOPWORDS

    return STOPWORDS.get(expected, frozenset()) | STOPWORDS.get(source, frozenset())


def _function_words(text: str, lang: str, expected: str) -> int:
    """How many function words of ``lang`` ``text`` holds that are none of the ``expected`` language's
    (Swedish "i" and "in" are no evidence of English in "I Writer kan du klistra in text")."""
    return sum(1 for w in folded_words(text) if w in _function_words_only(lang, expected))
