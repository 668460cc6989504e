"""Detectors that compare an aligned group with its original: lexical scores, synonym substitutions,
numbers, cross-language similarity without a model, and COMET."""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ..groups import PAIRED_KINDS, AlignedGroup, ArticleContext
from ..settings import Settings, setting
from ..text import NUMBER_RE, URL_RE, fold, numbers, prose, words
from .base import Detector, Evidence, Finding, Highlight, first_row


def _body(group: AlignedGroup, ctx: ArticleContext) -> bool:
    """A variant group with body text on both sides (a line aligned with its original's chrome, a translated
    copyright line, is chrome too)."""
    return (ctx.paired and bool(group.variant) and group.original_body_text is not None
            and not all(s.is_boilerplate for s in group.variant))


class ChrfDetector(Detector):
    name = "chrf"
    flag = "garbled"
    severity = "major"
    summary = ("a same-language (or back-translated) group scores chrF++ below the threshold against its original: "
               "the text does not say what the original says")

    @dataclass(frozen=True)
    class Settings(Settings, section="flags"):
        max_chrf: float = setting(30.0, "chrF++ below this is garbled", lo=0.0, hi=100.0)
        min_words: int = setting(4, "words the group needs", lo=1, hi=1000)

    def score(self, group: AlignedGroup, ctx: ArticleContext) -> list[Evidence | None] | None:
        if not ctx.comparable or not _body(group, ctx) or group.scores.chrf is None:
            return None
        return first_row(group, {"chrf": group.scores.chrf, "words": len(words(group.compare_text))})

    def decide(self, ev: Evidence, s: Settings, calibration: dict) -> Finding | None:
        if ev["words"] < s.min_words or ev["chrf"] >= s.max_chrf:
            return None
        return Finding(f"chrF++ {ev['chrf']:.1f} against the aligned original (< {s.max_chrf:g}): the text does not "
                       f"say what the original says")


_SUB_RE = re.compile(r"[^\W\d_]+", re.UNICODE)
_STRIP = ".,;:!?“”\"'’()[]"


def substitutions(variant: str, original: str) -> list[tuple[str, str, str, int, int]]:
    """Single-word (or two-word) substitutions of ``variant`` against ``original``, with context.

    Returns (original words, variant words, variant phrase around them, start, end) with the
    character offsets of the variant words. Inflections (a shared stem), case changes and edits next
    to numbers are not substitutions."""
    tokens = list(re.finditer(r"\S+", variant))
    v = [t.group(0) for t in tokens]
    o = original.split()
    vn = [fold(t).strip(_STRIP) for t in v]
    on = [fold(t).strip(_STRIP) for t in o]
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
        start = tokens[j1].start()
        end = tokens[j2 - 1].start() + len(tokens[j2 - 1].group(0).rstrip(_STRIP))
        out.append((" ".join(o[i1:i2]), " ".join(v[j1:j2]).strip(_STRIP), context, start, end))
    return out


def _same_stem(a: str, b: str) -> bool:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n >= 3 and n >= 0.6 * min(len(a), len(b))


class SubstitutionDetector(Detector):
    name = "substitution"
    flag = "spun"
    severity = "major"
    summary = ("word substitutions against the original break its phrasing (“stay” → “keep” in “win a keep of "
               "execution”): a synonym-spun rewrite")
    unless = ("garbled",)

    @dataclass(frozen=True)
    class Settings(Settings, section="flags"):
        min_substitutions: int = setting(1, "substitutions a group needs", lo=1, hi=1000)
        min_words: int = setting(4, "words the group needs", lo=1, hi=1000)

    def score(self, group: AlignedGroup, ctx: ArticleContext) -> list[Evidence | None] | None:
        if not ctx.comparable or not _body(group, ctx):
            return None
        subs = substitutions(group.compare_text, group.original_text or "")
        if not subs:
            return None
        # offsets are into the group's compare text; the highlight goes on the member that holds them
        rows: list[Evidence | None] = [None] * group.n_rows
        offset = 0
        spans: list[list] = [[] for _ in group.variant]
        for k, seg in enumerate(group.variant):
            length = len(seg.compare_text)
            for a, b, c, start, end in subs:
                if offset <= start < offset + length:
                    spans[k].append([start - offset, end - offset])
            offset += length + 1
        side = "backtranslation" if ctx.backtranslated and not ctx.same_language else "text"
        # the finding goes on the member that holds the first substitution, not on a heading the group
        # took along unchanged
        first = next((k for k, found in enumerate(spans) if found), 0)
        rows[first] = {"subs": [[a, b, c] for a, b, c, _, _ in subs], "words": len(words(group.compare_text)),
                       "highlights": spans[first], "side": side}
        return rows

    def decide(self, ev: Evidence, s: Settings, calibration: dict) -> Finding | None:
        subs = ev["subs"]
        if len(subs) < s.min_substitutions or ev["words"] < s.min_words:
            return None
        shown = "; ".join(f"“{a}” → “{b}” in “{c}”" for a, b, c in subs[:8])
        more = f"; and {len(subs) - 8} more" if len(subs) > 8 else ""
        return Finding(f"{len(subs)} word substitutions break the original phrasing: {shown}{more}",
                       tuple(Highlight(a, b, ev["side"]) for a, b in ev["highlights"]))


def _number_spans(text: str, wanted: Counter[str]) -> list[tuple[int, int]]:
    from ..text import normalize_number

    masked = URL_RE.sub(lambda m: " " * len(m.group(0)), text)
    out = []
    for m in NUMBER_RE.finditer(masked):
        if normalize_number(m.group(0)) in wanted:
            out.append((m.start(), m.end()))
    return out


class NumberDetector(Detector):
    name = "numbers"
    flag = "number_mismatch"
    severity = "major"
    summary = ("the numbers of an aligned group differ from its original's (“1,000” = “1 000” = “1.000”); a small "
               "number only missing or only added may be written as a word, and a number found in the neighbouring "
               "group is an alignment's shift, not a change")

    @dataclass(frozen=True)
    class Settings(Settings, section="flags"):
        max_word_number: int = setting(10, "numbers up to this may be written as words (“zwei”, “three”): one that "
                                           "is only missing, or only added, does not count", lo=0, hi=1_000_000)

    def score_article(self, groups: Sequence[AlignedGroup], ctx: ArticleContext
                      ) -> list[Sequence[Evidence | None] | None]:
        counts = [_compared_numbers(g) if _body(g, ctx) and g.kind in PAIRED_KINDS else None for g in groups]
        out: list[Sequence[Evidence | None] | None] = []
        for k, (group, pair) in enumerate(zip(groups, counts, strict=True)):
            if pair is None or pair[0] == pair[1]:
                out.append(None)
                continue
            o_nums, v_nums = pair
            missing, extra = o_nums - v_nums, v_nums - o_nums
            # a number the variant moved to the next group (or the original's neighbour has) is a shift of the alignment
            near = [c for c in (counts[k - 1] if k > 0 else None, counts[k + 1] if k + 1 < len(counts) else None) if c]
            missing = Counter({n: c for n, c in missing.items() if not any(n in v for _, v in near)})
            extra = Counter({n: c for n, c in extra.items() if not any(n in o for o, _ in near)})
            if not missing and not extra:
                out.append(None)
                continue
            highlights = [[a, b] for a, b in _number_spans(group.variant[0].text, extra)]
            out.append(first_row(group, {"missing": sorted(missing.elements()), "extra": sorted(extra.elements()),
                                         "highlights": highlights}))
        return out

    def decide(self, ev: Evidence, s: Settings, calibration: dict) -> Finding | None:
        missing, extra = ev["missing"], ev["extra"]
        if not (missing and extra):  # no number replaced by another: a small one may be spelt out
            if all(_small(n, s.max_word_number) for n in missing + extra):
                return None
        detail = "; ".join(x for x in (f"original has {', '.join(missing)}" if missing else "",
                                       f"variant has {', '.join(extra)}" if extra else "") if x)
        return Finding(f"numbers differ from the original: {detail}",
                       tuple(Highlight(a, b) for a, b in ev["highlights"]))


#: A section number at the head of a title or list item ("2.1.4. Debian archive basics") or after a
#: breadcrumb's separator ("Chapter 3 › 3.1."): numbering, not content.
_OUTLINE_RE = re.compile(r"(?:^|(?<=[›»>|]\s))\s*\d+(?:\.\d+)*\.?(?=\s|$)")
#: A cross-reference in the English original ("see Section 9.3.6, “Colorized commands”"): translations often
#: refer by the title alone, so its numbers may be missing from the variant.
_REFERENCE_RE = re.compile(r"\b(?:Section|Chapter|Table|Figure|Fig\.|Example|Appendix|Part|Step|Listing|§)\s*"
                           r"(\d+(?:\.\d+)*)")


def _compared_numbers(group: AlignedGroup) -> tuple[Counter, Counter]:
    """The numbers of a group's original and of its variant that must agree: body segments only,
    without section numbering, and without the original's cross-reference numbers on either side."""
    def text(segments: Sequence) -> str:
        return " ".join(_OUTLINE_RE.sub("", s.text) for s in segments if not s.is_boilerplate)

    original, variant = text(group.original), text(group.variant)
    refs = {n for m in _REFERENCE_RE.finditer(original) for n in numbers(m.group(1))}
    o = Counter(n for n in numbers(prose(original)) if n not in refs)
    v = Counter(n for n in numbers(prose(variant)) if n not in refs)
    return o, v


def _small(number: str, limit: int) -> bool:
    try:
        return float(number) <= limit and float(number).is_integer()
    except ValueError:
        return False


class DissimilarityDetector(Detector):
    name = "dissimilar"
    flag = "garbled"
    severity = "major"
    summary = ("cross-language pairs without back-translation or dictionary: no shared names, numbers or cognates, "
               "and lengths that differ, among the lowest of the language pair's pairs")

    @dataclass(frozen=True)
    class Settings(Settings, section="flags"):
        max_similarity: float = setting(0.08, "the aligner's similarity below which a 1:1 group is garbled …",
                                        lo=0.0, hi=1.0)
        max_share: float = setting(0.02, "… when it is also among this share of the language pair's 1:1 groups that "
                                         "score lowest (in a language of another script no cognates tell, and good "
                                         "translations score as low as garbled ones)", lo=0.0, hi=1.0)
        min_pairs: int = setting(50, "1:1 groups of a language pair needed to learn where its lowest share lies; "
                                     "with fewer, max_similarity alone counts", lo=1, hi=1_000_000)
        min_words: int = setting(8, "words each side needs", lo=1, hi=1000)

    def score(self, group: AlignedGroup, ctx: ArticleContext) -> list[Evidence | None] | None:
        if ctx.comparable or ctx.lexicon is not None or not _body(group, ctx) or group.kind != "1:1" \
                or group.similarity is None:
            return None  # with a lexicon, the replacement detector judges the same pairs better
        return first_row(group, {"similarity": group.similarity, "words": len(words(group.text)),
                                 "original_words": len(words(group.original_text or ""))})

    def calibrate(self, evidence: list[Evidence], settings: Settings) -> dict:
        """The language pair's similarities at every half percentile, over the pairs it judges (of
        ``min_words`` a side or more)."""
        sims = sorted(e["similarity"] for e in evidence
                      if e and min(e["words"], e["original_words"]) >= settings.min_words)
        if not sims:
            return {"n": 0}
        return {"n": len(sims), "quantiles": [sims[round(i / _STEPS * (len(sims) - 1))] for i in range(_STEPS + 1)]}

    def decide(self, ev: Evidence, s: Settings, calibration: dict) -> Finding | None:
        if ev["similarity"] >= s.max_similarity or min(ev["words"], ev["original_words"]) < s.min_words:
            return None
        tail = ""
        if calibration.get("n", 0) >= s.min_pairs:
            low = calibration["quantiles"][round(s.max_share * _STEPS)]
            if ev["similarity"] >= low:
                return None  # as low as many of the pair's good translations: the measure does not see this one's
            tail = f", below the lowest {s.max_share:.0%} of the language pair's {calibration['n']} pairs ({low:.2f})"
        return Finding(f"similarity {ev['similarity']:.2f} to the aligned original: no shared names, numbers or "
                       f"cognates, and the lengths differ{tail}")


#: The steps of the quantiles a dissimilarity calibration keeps (half percentiles).
_STEPS = 200


class CometDetector(Detector):
    name = "comet"
    flag = "garbled"
    severity = "major"
    summary = "a back-translated group scores COMET below the threshold (model stage; COMET never clears untranslated)"
    model_stage = "comet"

    @dataclass(frozen=True)
    class Settings(Settings, section="flags"):
        max_score: float = setting(0.3, "COMET below this is garbled", lo=0.0, hi=1.0)

    def decide(self, ev: Evidence, s: Settings, calibration: dict) -> Finding | None:
        if ev["comet"] >= s.max_score:
            return None
        return Finding(f"COMET {ev['comet']:.3f} against the original (< {s.max_score:g}): the back-translation does "
                       f"not say what the original says")
