"""Synonym spin in English, without the original (``pipeline.fluency``): a phrase nobody writes where a
thesaurus neighbour of one of its words makes the usual phrase ("‘keep of execution’ — usual: ‘stay
of execution’")."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..groups import AlignedGroup, ArticleContext
from ..settings import Settings, setting
from .base import Detector, Evidence, Finding, Highlight

_MAX_PHRASES = 5  # kept per sentence as evidence


class FluencyDetector(Detector):
    name = "fluency"
    flag = "spun"
    severity = "major"
    summary = ("an English sentence holds a phrase that real English almost never uses where a thesaurus neighbour of "
               "one of its words gives the usual phrase (“keep of execution” for “stay of execution”): "
               "synonym-spun text, with or without its original")

    @dataclass(frozen=True)
    class Settings(Settings, section="flags"):
        sentence: float = setting(2.46, "a sentence is spun when the usual phrase is this many orders of magnitude "
                                        "more likely (log10)", lo=0.1, hi=50.0)
        relaxed: float = setting(1.6, "… and, in an article where many are, this many", lo=0.1, hi=50.0)
        page_share: float = setting(0.2, "the share of an article's sentences spun at `sentence` from which the "
                                         "relaxed level applies to it", lo=0.0, hi=1.0)
        min_words: int = setting(4, "words a sentence needs to count", lo=1, hi=1000)

    def score_article(self, groups: Sequence[AlignedGroup], ctx: ArticleContext
                      ) -> list[Sequence[Evidence | None] | None]:
        scorer = ctx.resources.fluency if ctx.resources else None
        if scorer is None or ctx.lang != ctx.source_lang or ctx.source_lang != "en":
            return [None] * len(groups)
        wanted = [(gi, k, seg.text) for gi, g in enumerate(groups) for k, seg in enumerate(g.variant)
                  if not seg.is_boilerplate and seg.lang in (None, "en")]
        scored = scorer.score([t for _, _, t in wanted])
        out: list[list[Evidence | None] | None] = [None] * len(groups)
        for (gi, k, _), ev in zip(wanted, scored, strict=True):
            if out[gi] is None:
                out[gi] = [None] * groups[gi].n_rows
            out[gi][k] = {"score": ev.score, "words": ev.n_words,  # type: ignore[index]
                          "phrases": [[p.start, p.end, p.phrase, p.usual, p.log10_ratio]
                                      for p in ev.phrases[:_MAX_PHRASES]]}
        return out

    def summarize(self, evidence: list[Evidence], s: Settings) -> dict[str, Any]:
        scored = [e for e in evidence if e["words"] >= s.min_words]
        spun = sum(1 for e in scored if e["score"] >= s.sentence)
        return {"share": spun / len(scored) if scored else 0.0, "sentences": len(scored), "spun": spun}

    def decide(self, ev: Evidence, s: Settings, calibration: dict) -> Finding | None:
        article = calibration.get("article") or {}
        level = s.relaxed if article.get("sentences") and article.get("share", 0.0) >= s.page_share else s.sentence
        if ev["score"] < level or (ev["words"] < s.min_words and ev["score"] < s.sentence):
            return None
        from ..fluency import _ratio

        shown = [p for p in ev["phrases"] if p[4] >= level][:3]
        reason = "reads as synonym-spun: " + "; ".join(
            f"‘{phrase}’ — usual: ‘{usual}’ ({_ratio(ratio)} as likely)" for _, _, phrase, usual, ratio in shown)
        if level == s.relaxed and ev["score"] < s.sentence:
            reason += f" (judged with the article: {article['spun']} of {article['sentences']} sentences spun)"
        return Finding(reason, tuple(Highlight(a, b) for a, b, *_ in shown))
