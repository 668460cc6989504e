"""Synonym spin in English, without the original (``pipeline.fluency``): a phrase nobody writes where a
thesaurus neighbour of one of its words makes the usual phrase ("‘keep of execution’ — usual: ‘stay
of execution’")."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from ..fluency import (FluencyEvidence, FluencyThresholds, SuspectPhrase, decide, document_fluency, page_fails,
                       page_terms, without_terms)
from ..errors import ConfigurationError
from ..groups import AlignedGroup, ArticleContext
from ..settings import Settings, setting
from .base import Detector, Evidence, Finding, Highlight

_MAX_PHRASES = 8  # kept per sentence as evidence


def _evidence(ev: Evidence) -> FluencyEvidence:
    """The library's evidence from a stored row (``key`` stands for the text: repeats count once)."""
    return FluencyEvidence(ev["key"], ev["score"], tuple(
        SuspectPhrase(a, b, phrase, usual, replaced, replacement, ratio)
        for a, b, phrase, usual, ratio, replaced, replacement in ev["phrases"]), ev["words"])


class FluencyDetector(Detector):
    name = "fluency"
    flag = "spun"
    severity = "major"
    summary = ("an English sentence holds a phrase that real English almost never uses where a thesaurus neighbour of "
               "one of its words gives the usual phrase (“keep of execution” for “stay of execution”): "
               "synonym-spun text, with or without its original (never text that is its original's own)")

    @dataclass(frozen=True)
    class Settings(Settings, section="flags"):
        sentence: float = setting(FluencyThresholds.sentence, "a sentence is spun when the usual phrase is this many "
                                  "orders of magnitude more likely (log10)", lo=0.1, hi=50.0)
        relaxed: float = setting(FluencyThresholds.relaxed, "… and, in an article that is spun as a whole, this many",
                                 lo=0.1, hi=50.0)
        page_share: float = setting(FluencyThresholds.page_share, "an article is spun as a whole when this share of "
                                    "its distinct sentences is spun at `sentence` …", lo=0.01, hi=1.0)
        page_min_spun: int = setting(FluencyThresholds.page_min_spun, "… and at least this many of them", lo=1, hi=1000)
        page_pattern_cap: int = setting(FluencyThresholds.page_pattern_cap, "one substitution counts for at most this "
                                        "many sentences of an article (0: no cap)", lo=0, hi=1000)
        term_repeats: int = setting(FluencyThresholds.term_repeats, "in an article not spun as a whole, a substitution "
                                    "found in this many sentences is the article's own term, not evidence (0: off)",
                                    lo=0, hi=1000)
        min_words: int = setting(FluencyThresholds.min_words, "words a sentence needs to count", lo=1, hi=1000)

        def __post_init__(self) -> None:
            super().__post_init__()
            if self.relaxed > self.sentence:
                raise ConfigurationError(f"[flags] fluency_relaxed = {self.relaxed}: must not exceed "
                                         f"fluency_sentence = {self.sentence}")

        def thresholds(self) -> FluencyThresholds:
            return FluencyThresholds(**{f.name: getattr(self, f.name) for f in fields(FluencyThresholds)})

    def score_article(self, groups: Sequence[AlignedGroup], ctx: ArticleContext
                      ) -> list[Sequence[Evidence | None] | None]:
        scorer = ctx.resources.fluency if ctx.resources else None
        if scorer is None or ctx.lang != ctx.source_lang or ctx.source_lang != "en":
            return [None] * len(groups)
        wanted = [(gi, k, seg.text) for gi, g in enumerate(groups) for k, seg in enumerate(g.variant)
                  if seg.block not in ("boilerplate", "code") and seg.lang in (None, "en")]
        # a group that is its original's own text is no spin, however rare its phrases: it still counts
        # for its article's share of spun sentences, but is never flagged itself
        copies = {gi for gi, g in enumerate(groups) if g.copies_original}
        scored = scorer.score([t for _, _, t in wanted])
        out: list[list[Evidence | None] | None] = [None] * len(groups)
        for (gi, k, text), ev in zip(wanted, scored, strict=True):
            if out[gi] is None:
                out[gi] = [None] * groups[gi].n_rows
            out[gi][k] = {"score": ev.score, "words": ev.n_words, "copy": gi in copies,  # type: ignore[index]
                          "key": hashlib.blake2b(text.encode(), digest_size=6).hexdigest(),
                          "phrases": [[p.start, p.end, p.phrase, p.usual, p.log10_ratio, p.replaced, p.replacement]
                                      for p in ev.phrases[:_MAX_PHRASES]]}
        return out

    def summarize(self, evidence: list[Evidence], s: Settings) -> dict[str, Any]:
        t = s.thresholds()
        sentences = [_evidence(e) for e in evidence]
        doc = document_fluency(sentences, t.sentence, t.min_words, t.page_pattern_cap)
        fails = page_fails(doc, t)
        terms = set() if fails else page_terms(sentences, t.term_repeats, t.relaxed)
        return {"share": doc.share, "sentences": doc.n_scored, "spun": doc.n_spun, "fails": fails,
                "terms": sorted(terms)}

    def gate_count(self, summary: dict[str, Any], s: Settings) -> tuple[int, int, str]:
        """The gate counts an article's distinct spun sentences, and none unless it is spun as a whole
        (``page_share`` and ``page_min_spun``): a few odd sentences do not make a spun page."""
        return summary["spun"] if summary["fails"] else 0, summary["sentences"], "distinct English sentences spun"

    def decide(self, ev: Evidence, s: Settings, calibration: dict) -> Finding | None:
        article = calibration.get("article") or {}
        level = s.relaxed if article.get("fails") else s.sentence
        sentence = without_terms(_evidence(ev), {tuple(t) for t in article.get("terms", ())})
        if ev.get("copy") or (sentence.n_words < s.min_words and sentence.score < s.sentence):
            return None
        reason = decide(sentence, level)
        if reason is None:
            return None
        if sentence.score < s.sentence:
            reason += f" (judged with the article: {article['spun']} of {article['sentences']} sentences spun)"
        shown = [p for p in sentence.phrases if p.log10_ratio >= level][:3]
        return Finding(reason, tuple(Highlight(p.start, p.end) for p in shown))
