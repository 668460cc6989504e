"""Decide the flags of each segment row, each with a reason a person can read.

Scorers compute numbers; this module applies the thresholds of ``[flags]`` to them, so thresholds
can be re-tuned without recomputing anything.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from .config import FlagConfig
from .text import fold, folded_words, names, numbers, prose, skeleton, strip_quotes, words


@dataclass(frozen=True)
class ArticleContext:
    role: str
    expected_lang: str
    comparable: bool  # variant and original texts can be compared word for word
    glossary: tuple[str, ...] = ()


def _short(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def content_words(text: str, glossary: tuple[str, ...]) -> list[str]:
    """Words that tell a language: outside quotes, URLs and code, not names, placeholders or glossary terms."""
    stripped = prose(strip_quotes(text))
    skip = {fold(n) for n in names(stripped)} | {fold(t) for t in glossary}
    return [w for w in words(stripped) if fold(w) not in skip and not (len(w) > 1 and w.isupper())]


def flag_row(row: dict, ctx: ArticleContext, cfg: FlagConfig) -> list[tuple[str, str]]:
    """Flags with reasons for one row of segments.parquet (see docs/output.md)."""
    out: list[tuple[str, str]] = []
    if row["block"] == "boilerplate":
        return [("boilerplate", row.get("boilerplate_reason") or "boilerplate")]
    if ctx.role == "original":
        return out
    alignment = row["alignment"]
    if alignment == "omission":
        if len(content_words(row["original_text"] or "", ctx.glossary)) >= cfg.min_words:
            out.append(("omission", f"original segment {row['original_seg_ids'][0]} has no counterpart here: "
                                    f"“{_short(row['original_text'])}”"))
        return out
    text = row["text"] or ""
    if alignment == "addition" and len(content_words(text, ctx.glossary)) >= cfg.min_words:
        out.append(("addition", "no counterpart in the original article"))
    out += _language_flags(row, text, ctx, cfg)
    if row.get("first_in_group"):
        out += _comparison_flags(row, text, ctx, cfg)
    out += _term_flags(row, text, ctx, cfg)
    return out


def copied_run(variant: str, original: str) -> list[str]:
    """The longest run of words that ``variant`` copies from ``original``, names and code aside."""
    v = folded_words(prose(variant))
    o = folded_words(prose(original))
    m = difflib.SequenceMatcher(a=v, b=o, autojunk=False).find_longest_match(0, len(v), 0, len(o))
    return words(prose(variant))[m.a:m.a + m.size]


def _language_flags(row: dict, text: str, ctx: ArticleContext, cfg: FlagConfig) -> list[tuple[str, str]]:
    flags = _detected_language_flags(row, text, ctx, cfg)
    original = row.get("original_text")
    if flags or ctx.comparable or not original or ctx.expected_lang == cfg.source_lang:
        return flags
    # a translated sentence that carries a stretch of its English original word for word
    run = copied_run(text, original)
    content = content_words(text, ctx.glossary)
    if len(run) >= cfg.partial_min_copied_words and len(run) < 0.8 * max(1, len(content)):
        return [("partially_translated", f"copies {len(run)} words of the original untranslated: "
                                         f"“{_short(' '.join(run), 60)}”")]
    return flags


def _detected_language_flags(row: dict, text: str, ctx: ArticleContext, cfg: FlagConfig) -> list[tuple[str, str]]:
    expected, lang, conf = ctx.expected_lang, row["lang"], row["lang_confidence"]
    if lang is None or expected == cfg.source_lang and lang == expected:
        return []
    spans = row.get("spans") or []
    span_words: Counter[str] = Counter()
    for s in spans:
        span_words[s["lang"]] += len(content_words(text[s["start"]:s["end"]], ctx.glossary))
    # only the source language counts as the other half: lingua's spans confuse Swedish with its
    # neighbours (nb, da, de), which is not what a half-translated sentence looks like
    mixed = (expected != cfg.source_lang and span_words.get(expected, 0) >= cfg.partial_min_span_words
             and span_words.get(cfg.source_lang, 0) >= cfg.partial_min_span_words)
    if mixed:
        parts = ", ".join(f"{lg} “{_short(text[s['start']:s['end']], 40)}”"
                          for s in spans for lg in [s["lang"]])
        return [("partially_translated", f"mixes languages where {expected} was expected: {parts}")]
    if spans:
        # a mixed segment is untranslated only when the expected language holds (almost) nothing
        if span_words.get(expected, 0) >= cfg.partial_min_span_words or span_words.get(
                cfg.source_lang, 0) < cfg.min_words:
            return []
        lang = cfg.source_lang
    elif lang == expected or conf is None or conf < cfg.min_lang_confidence:
        return []
    content = content_words(text, ctx.glossary)
    if len(content) < cfg.min_words:
        return []  # quotes and names alone are not enough
    original = row.get("original_text")
    if original and fold(original) == fold(text):
        return [("untranslated", f"identical to the original segment, in {lang} where {expected} was expected")]
    if lang == cfg.source_lang or (original and lang != expected):
        return [("untranslated", f"{lang} (confidence {conf:.2f}) where {expected} was expected")]
    return []


_SUB_RE = re.compile(r"[^\W\d_]+", re.UNICODE)


def substitutions(variant: str, original: str) -> list[tuple[str, str, str]]:
    """Single-word (or two-word) substitutions of ``variant`` against ``original``, with context.

    Returns (original words, variant words, variant phrase around them). Inflections (same first
    four letters), case changes and edits next to numbers are not substitutions.
    """
    v, o = variant.split(), original.split()
    vn = [fold(t).strip(".,;:!?“”\"'’()[]") for t in v]
    on = [fold(t).strip(".,;:!?“”\"'’()[]") for t in o]
    out = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=on, b=vn, autojunk=False).get_opcodes():
        if tag != "replace" or not (1 <= i2 - i1 <= 2 and 1 <= j2 - j1 <= 2):
            continue
        ow, vw = on[i1:i2], vn[j1:j2]
        if not all(_SUB_RE.fullmatch(w) for w in ow + vw):
            continue
        if any(_same_stem(a, b) for a in ow for b in vw):
            continue  # an inflection ("bans" -> "is banning"), not a synonym
        context = " ".join(v[max(0, j1 - 2): j2 + 2])
        out.append((" ".join(o[i1:i2]), " ".join(v[j1:j2]), context))
    return out


def _same_stem(a: str, b: str) -> bool:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n >= 3 and n >= 0.6 * min(len(a), len(b))


def _comparison_flags(row: dict, text: str, ctx: ArticleContext, cfg: FlagConfig) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    original = row.get("group_original_text")  # None when the group's original side is only boilerplate
    group_text = row.get("group_text") or text
    if not original:
        return out
    o_nums, v_nums = Counter(numbers(prose(original))), Counter(numbers(prose(group_text)))
    if o_nums != v_nums and (o_nums or v_nums):
        missing = ", ".join(sorted((o_nums - v_nums).elements()))
        extra = ", ".join(sorted((v_nums - o_nums).elements()))
        detail = "; ".join(x for x in (f"original has {missing}" if missing else "",
                                       f"variant has {extra}" if extra else "") if x)
        out.append(("number_mismatch", f"numbers differ from the original: {detail}"))
    chrf = row.get("chrf")
    compare_text = row.get("group_compare_text") or group_text
    if ctx.comparable and chrf is not None and len(words(compare_text)) >= cfg.min_words:
        if chrf < cfg.garbled_max_chrf:
            out.append(("garbled", f"chrF++ {chrf:.1f} against the aligned original (< {cfg.garbled_max_chrf:g}): "
                                   f"the text does not say what the original says"))
        else:
            subs = substitutions(compare_text, original)
            if len(subs) >= cfg.spun_min_substitutions:
                shown = "; ".join(f"“{a}” → “{b}” in “{c}”" for a, b, c in subs[:8])
                more = f"; and {len(subs) - 8} more" if len(subs) > 8 else ""
                out.append(("garbled", f"{len(subs)} word substitutions break the original phrasing: {shown}{more}"))
    elif not ctx.comparable and row.get("align_score") is not None and row["alignment"] == "1:1":
        if (row["align_score"] < cfg.garbled_max_similarity and len(words(group_text)) >= 2 * cfg.min_words
                and len(words(original)) >= 2 * cfg.min_words):
            out.append(("garbled", f"similarity {row['align_score']:.2f} to the aligned original: no shared names, "
                                   f"numbers or cognates, and the lengths differ"))
    return out


@lru_cache(maxsize=64)
def _glossary_index(glossary: tuple[str, ...], min_skeleton: int) -> tuple[re.Pattern, dict[str, list[str]]]:
    """One word-boundary pattern matching any term (longest first), and the terms by consonant skeleton."""
    terms = sorted(glossary, key=len, reverse=True)
    pattern = re.compile(rf"(?<!\w)(?:{'|'.join(re.escape(t) for t in terms)})(?!\w)")
    by_skeleton: dict[str, list[str]] = {}
    for t in glossary:
        sk = skeleton(t)
        if len(sk) >= min_skeleton:
            by_skeleton.setdefault(sk, []).append(t)
    return pattern, by_skeleton


def _capitalized_windows(text: str) -> list[str]:
    """Sequences of 1-3 words starting with a capital letter (candidate altered brand names)."""
    tokens = text.split()
    out = []
    for i, first in enumerate(tokens):
        if not first[:1].isupper() and first[:1] not in "“\"'(":
            continue
        for n in (1, 2, 3):
            if i + n > len(tokens):
                break
            window = re.sub(r"['’]s$", "", " ".join(tokens[i:i + n]).strip(".,;:!?“”\"'’()[]"))
            if window and window[0].isupper():
                out.append(window)
    return out


def _term_flags(row: dict, text: str, ctx: ArticleContext, cfg: FlagConfig) -> list[tuple[str, str]]:
    if not ctx.glossary:
        return []
    pattern, by_skeleton = _glossary_index(ctx.glossary, cfg.fuzzy_term_min_skeleton)
    out = []
    original = row.get("original_text") or ""
    missing = set()
    if original and (wanted := dict.fromkeys(pattern.findall(original))):
        for term in sorted(wanted.keys() - set(pattern.findall(text)), key=ctx.glossary.index):
            out.append(("term_violation", f"do-not-translate term “{term}” of the original is missing"))
            missing.add(term)
    seen = set()
    for window in _capitalized_windows(text):
        for term in by_skeleton.get(skeleton(window), ()):
            if term in missing or term in seen or fold(window.replace(" ", "")) == fold(term):
                continue
            if re.search(rf"(?<!\w){re.escape(term)}(?!\w)", window, re.IGNORECASE):
                continue  # the term itself, followed by another word
            out.append(("term_violation", f"“{window}” looks like the do-not-translate term “{term}” altered"))
            seen.add(term)
    return out
