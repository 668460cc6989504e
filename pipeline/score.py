"""Lexical scores with sacrebleu: BLEU, chrF++ and TER per aligned group and per article.

Scores are computed only where a comparison means something: a same-language variant against its
original, or a back-translation against the original. Elsewhere they stay None — never 0.
Metric objects are built once and reused (sacrebleu re-parses its options on every new object).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Scores:
    bleu: float | None = None
    chrf: float | None = None
    ter: float | None = None


class LexicalScorer:
    """sacrebleu's sentence- and corpus-level BLEU, chrF++ and TER."""

    @cached_property
    def _metrics(self):  # noqa: ANN202
        from sacrebleu.metrics import BLEU, CHRF, TER

        return BLEU(effective_order=True), CHRF(word_order=2), TER()

    def segment(self, hypothesis: str, reference: str) -> Scores:
        bleu, chrf, ter = self._metrics
        return Scores(round(bleu.sentence_score(hypothesis, [reference]).score, 2),
                      round(chrf.sentence_score(hypothesis, [reference]).score, 2),
                      round(ter.sentence_score(hypothesis, [reference]).score, 2))

    def corpus(self, hypotheses: list[str], references: list[str]) -> Scores:
        if len(hypotheses) != len(references):
            raise ValueError(f"{len(hypotheses)} hypotheses but {len(references)} references")
        if not hypotheses:
            return Scores()
        bleu, chrf, ter = self._metrics
        return Scores(round(bleu.corpus_score(hypotheses, [references]).score, 2),
                      round(chrf.corpus_score(hypotheses, [references]).score, 2),
                      round(ter.corpus_score(hypotheses, [references]).score, 2))

    def signatures(self) -> dict[str, str]:
        bleu, chrf, ter = self._metrics
        # sentence-level BLEU uses effective order; the signature says so
        return {"bleu": str(bleu.get_signature()), "chrf": str(chrf.get_signature()),
                "ter": str(ter.get_signature())}
