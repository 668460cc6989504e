"""Detectors of structure and terminology: omitted and added segments, boilerplate, glossary terms."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..groups import AlignedGroup, ArticleContext
from ..settings import Settings, setting
from ..text import content_words, fold, link_like, skeleton
from .base import Detector, Evidence, Finding, Highlight, shorten


class OmissionDetector(Detector):
    name = "omission"
    flag = "omission"
    severity = "major"
    summary = "an original body segment has no counterpart in the variant"

    @dataclass(frozen=True)
    class Settings(Settings, section="flags"):
        min_words: int = setting(4, "content words the omitted segment needs", lo=1, hi=1000)
        edge_max_words: int = setting(8, "a link-like line (no final punctuation) of at most this many words, omitted "
                                         "between the article's chrome and its first (or last) aligned segment, is "
                                         "the original's chrome, not its text (0: none is)", lo=0, hi=1000)

    def score_article(self, groups: Sequence[AlignedGroup], ctx: ArticleContext
                      ) -> list[Sequence[Evidence | None] | None]:
        aligned = [k for k, g in enumerate(groups) if g.kind not in ("omission", "boilerplate")]
        first, last = (aligned[0], aligned[-1]) if aligned else (len(groups), -1)
        # original texts that have a counterpart, numbers aside: "9.5.11. System security and integrity
        # check" repeats the heading "System security and integrity check" that the variant translates;
        # and lines the original says twice (a pager's links at its head and tail)
        answered = _repeated([s for g in groups for s in g.original],
                             [s for g in groups if g.variant and g.kind != "boilerplate" for s in g.original])
        out: list[Sequence[Evidence | None] | None] = []
        for k, group in enumerate(groups):
            text = group.original_body_text
            if group.kind != "omission" or text is None:
                out.append(None)
                continue
            out.append([{"words": len(content_words(text, ctx.glossary)), "seg": group.original[0].seg_id,
                         "text": shorten(text), "edge": k < first or k > last,
                         "link_like": link_like(text),
                         "repeat": _unnumbered(text) in answered}])
        return out

    def decide(self, ev: Evidence, s: Settings, calibration: dict) -> Finding | None:
        if ev["words"] < s.min_words:
            return None
        if ev.get("edge") and ev.get("link_like") and ev["words"] <= s.edge_max_words:
            return None
        if ev["repeat"]:
            return None  # the original says it twice (a numbered heading); the variant says it once
        return Finding(f"original segment {ev['seg']} has no counterpart here: “{ev['text']}”")


class AdditionDetector(Detector):
    name = "addition"
    flag = "addition"
    severity = "minor"
    summary = "a variant body segment has no counterpart in the original"

    @dataclass(frozen=True)
    class Settings(Settings, section="flags"):
        min_words: int = setting(4, "content words the added segment needs", lo=1, hi=1000)

    def score_article(self, groups: Sequence[AlignedGroup], ctx: ArticleContext
                      ) -> list[Sequence[Evidence | None] | None]:
        if not ctx.paired:
            return [None] * len(groups)
        # the variant's aligned texts, numbers aside: a numbered heading that repeats one of them
        # ("9.5.11. Vérification …" after "Vérification …") adds nothing, nor does a line the variant
        # says twice (its pager's links at the head and, as chrome, at the tail)
        answered = _repeated([s for g in groups for s in g.variant],
                             [s for g in groups if g.original and g.kind != "boilerplate" for s in g.variant])
        return [None if g.kind != "addition" else
                [None if seg.is_boilerplate else {"words": len(content_words(seg.text, ctx.glossary)),
                                                  "repeat": _unnumbered(seg.text) in answered}
                 for seg in g.variant] for g in groups]

    def decide(self, ev: Evidence, s: Settings, calibration: dict) -> Finding | None:
        if ev["words"] < s.min_words or ev["repeat"]:
            return None
        return Finding("no counterpart in the original article")


class BoilerplateDetector(Detector):
    name = "boilerplate"
    flag = "boilerplate"
    severity = "info"
    summary = ("site chrome: navigation, headers and footers, lines that frame many pages at their head or tail (or "
               "mirror such lines in another language), teasers, repeated 'read more' lines")

    def score(self, group: AlignedGroup, ctx: ArticleContext) -> list[Evidence | None] | None:
        if not any(s.is_boilerplate for s in group.variant):
            return None
        return [{"reason": s.boilerplate_reason or "boilerplate"} if s.is_boilerplate else None
                for s in group.variant]

    def decide(self, ev: Evidence, s: Settings, calibration: dict) -> Finding | None:
        return Finding(ev["reason"])


@lru_cache(maxsize=64)
def _glossary_index(glossary: tuple[str, ...]) -> tuple[re.Pattern, dict[str, list[str]]]:
    """One word-boundary pattern matching any term (longest first), and the terms by consonant skeleton."""
    terms = sorted(glossary, key=len, reverse=True)
    pattern = re.compile(rf"(?<!\w)(?:{'|'.join(re.escape(t) for t in terms)})(?!\w)")
    by_skeleton: dict[str, list[str]] = {}
    for t in glossary:
        if sk := skeleton(t):
            by_skeleton.setdefault(sk, []).append(t)
    return pattern, by_skeleton


_EDGE = ".,;:!?“”\"'’()[]"


@lru_cache(maxsize=65_536)
def capitalized_windows(text: str) -> tuple[tuple[str, int, int], ...]:
    """Sequences of 1-3 words starting with a capital letter (candidate altered brand names), with
    their character offsets."""
    tokens = [m.span() for m in _NONSPACE_RE.finditer(text)]
    out = []
    for i, (a, _) in enumerate(tokens):
        lead = text[a]
        if not lead.isupper() and lead not in "“\"'(":
            continue
        for n in (1, 2, 3):
            if i + n > len(tokens):
                break
            raw = text[a:tokens[i + n - 1][1]]
            window = raw.strip(_EDGE)
            if window.endswith(("'s", "’s")):
                window = window[:-2]
            if window and window[0].isupper():
                start = a + raw.index(window[0])
                out.append((window, start, start + len(window)))
    return tuple(out)


_NONSPACE_RE = re.compile(r"\S+")


class TermDetector(Detector):
    name = "terms"
    flag = "term_violation"
    severity = "major"
    summary = ("a glossary term of the original is missing, or a word sequence looks like the term altered "
               "(“Tick tack”, “You Tube”)")

    @dataclass(frozen=True)
    class Settings(Settings, section="flags"):
        min_skeleton: int = setting(3, "consonants a term's skeleton needs before altered forms are looked for",
                                    lo=1, hi=1000)

    def score(self, group: AlignedGroup, ctx: ArticleContext) -> list[Evidence | None] | None:
        if ctx.role != "variant" or not ctx.glossary or not group.variant:
            return None
        pattern, by_skeleton = _glossary_index(ctx.glossary)
        original = group.original_text or ""
        wanted = dict.fromkeys(pattern.findall(original)) if original else {}
        missing = set(wanted) - set(pattern.findall(group.text))
        rows: list[Evidence | None] = []
        found_altered: set[str] = set()
        for seg in group.variant:
            altered = []
            for window, start, end in capitalized_windows(seg.text) if not seg.is_boilerplate else ():
                for term in by_skeleton.get(skeleton(window), ()):
                    if term in found_altered or fold(window.replace(" ", "")) == fold(term):
                        continue
                    if re.search(rf"(?<!\w){re.escape(term)}(?!\w)", window, re.IGNORECASE):
                        continue  # the term itself, followed by another word
                    altered.append([window, term, start, end, len(skeleton(term))])
                    found_altered.add(term)
            rows.append({"missing": [], "altered": altered} if altered else None)
        # a term the original has and the variant lacks, unless it stands there altered
        still_missing = sorted(missing - found_altered, key=ctx.glossary.index)
        if still_missing:
            first = next((k for k, seg in enumerate(group.variant) if not seg.is_boilerplate), 0)
            rows[first] = {"missing": still_missing, "altered": (rows[first] or {}).get("altered", [])}
        return rows if any(rows) else None

    def decide(self, ev: Evidence, s: Settings, calibration: dict) -> Finding | None:
        parts = [f"do-not-translate term “{t}” of the original is missing" for t in ev["missing"]]
        altered = [a for a in ev["altered"] if a[4] >= s.min_skeleton]
        parts += [f"“{w}” looks like the do-not-translate term “{t}” altered" for w, t, *_ in altered]
        if not parts:
            return None
        return Finding("; ".join(parts), tuple(Highlight(a, b) for _, _, a, b, _ in altered))


def _repeated(segments: Sequence, aligned: Sequence) -> set[str]:
    """Texts (numbers aside) of ``aligned`` segments, and of every text ``segments`` holds twice."""
    seen: set[str] = set()
    out = {_unnumbered(s.text) for s in aligned}
    for s in segments:
        key = _unnumbered(s.text)
        if key in seen:
            out.add(key)
        seen.add(key)
    return out


def _unnumbered(text: str) -> str:
    """``text`` folded, without a leading section number ("9.5.11. ", "2.4 ")."""
    return fold(re.sub(r"^\s*\d+(?:\.\d+)*\.?\s+", "", text))
