"""Lexical scores with sacrebleu: BLEU, chrF++ and TER per aligned group and per article.

Scores are computed only where a comparison means something: a same-language variant against its
original, or a back-translation against the original. Elsewhere they stay None — never 0.

Each group's sufficient statistics are extracted once (sacrebleu's ``_extract_corpus_statistics``,
the same path ``sentence_score`` and ``corpus_score`` take) and reused: the segment score comes
from the group's statistics, the article score from their sum, exactly as ``corpus_score`` would
compute it — without tokenizing and counting every group a second time. A group identical to its
original (an untouched sentence of a republished or spun page) needs no matching at all: its
statistics are those of the text against itself, counted once on one side.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Scores:
    bleu: float | None = None
    chrf: float | None = None
    ter: float | None = None


@dataclass(frozen=True)
class GroupStats:
    bleu: tuple
    chrf: tuple
    ter: tuple


class LexicalScorer:
    """sacrebleu's BLEU (sentence: effective order; corpus: standard), chrF++ and TER."""

    @cached_property
    def _metrics(self):
        from sacrebleu.metrics import BLEU, CHRF, TER

        return {"sentence_bleu": BLEU(effective_order=True), "bleu": BLEU(), "chrf": CHRF(word_order=2),
                "ter": TER()}

    def stats(self, hypothesis: str, reference: str) -> GroupStats:
        m = self._metrics
        if hypothesis == reference:
            return self._self_stats(reference)
        bleu = m["bleu"]._extract_corpus_statistics([hypothesis], [[reference]])[0]
        chrf = m["chrf"]._extract_corpus_statistics([hypothesis], [[reference]])[0]
        if hypothesis.rstrip() == reference.rstrip():  # no edits; TER's shift search is its costliest step
            ter = [0, float(len(m["ter"]._preprocess_segment(reference).split()))]
        else:
            ter = m["ter"]._extract_corpus_statistics([hypothesis], [[reference]])[0]
        return GroupStats(tuple(bleu), tuple(chrf), tuple(ter))

    def _self_stats(self, text: str) -> GroupStats:
        """Statistics of ``text`` scored against itself: every n-gram matches, so each count is the
        number of n-grams of that order — of sacrebleu's own tokens (BLEU, TER, chrF++'s words) and
        characters (chrF's, whitespace removed unless the metric keeps it)."""
        m = self._metrics
        tokens = len(m["bleu"]._preprocess_segment(text).split())
        totals = [max(0, tokens - k) for k in range(m["bleu"].max_ngram_order)]
        chrf = m["chrf"]
        line = chrf._preprocess_segment(text)
        chars = len(line if chrf.whitespace else "".join(line.split()))
        chrf_words = len(chrf._remove_punctuation(line))
        counts = [max(0, chars - k) for k in range(chrf.char_order)] + [max(0, chrf_words - k)
                                                                           for k in range(chrf.word_order)]
        return GroupStats((tokens, tokens, *totals, *totals), tuple(c for n in counts for c in (n, n, n)),
                          (0, float(len(m["ter"]._preprocess_segment(text).split()))))

    def segment(self, stats: GroupStats) -> Scores:
        m = self._metrics
        return Scores(round(m["sentence_bleu"]._aggregate_and_compute([list(stats.bleu)]).score, 2),
                      round(m["chrf"]._aggregate_and_compute([list(stats.chrf)]).score, 2),
                      round(m["ter"]._aggregate_and_compute([list(stats.ter)]).score, 2))

    def corpus(self, stats: list[GroupStats]) -> Scores:
        if not stats:
            return Scores()
        m = self._metrics
        return Scores(round(m["bleu"]._aggregate_and_compute([list(s.bleu) for s in stats]).score, 2),
                      round(m["chrf"]._aggregate_and_compute([list(s.chrf) for s in stats]).score, 2),
                      round(m["ter"]._aggregate_and_compute([list(s.ter) for s in stats]).score, 2))

    def signatures(self) -> dict[str, str]:
        m = self._metrics
        for metric in m.values():  # a signature names the reference count, known once a segment was seen
            metric._extract_corpus_statistics(["a"], [["a"]])
        return {"sentence_bleu": str(m["sentence_bleu"].get_signature()), "bleu": str(m["bleu"].get_signature()),
                "chrf": str(m["chrf"].get_signature()), "ter": str(m["ter"].get_signature())}
