"""Damage across languages, without a translation model (``pipeline.garble``, ``pipeline.xling``): a
translated paragraph cut short, its words shuffled, or a fluent paragraph that translates something
else. Each is relative to what the corpus's own aligned pairs look like."""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from ..boilerplate import trail_steps
from ..groups import PAIRED_KINDS, AlignedGroup, ArticleContext, Segment
from ..settings import Settings, setting
from .base import Detector, Evidence, Finding, Highlight

if TYPE_CHECKING:
    from ..garble import OrderEvidence
    from ..lexicon import Lexicon


def _translated_pair(group: AlignedGroup, ctx: ArticleContext) -> bool:
    """A body group of a translation with its original, compared across languages (no back-translation)."""
    return (ctx.paired and not ctx.comparable and bool(group.variant) and group.original_text is not None
            and group.kind in PAIRED_KINDS
            and not any(s.block in ("boilerplate", "title", "code") for s in group.variant))


#: A sentence's last character: its final punctuation, then any closing quotes and brackets.
_SENTENCE_END = re.compile(r"[.!?。！？…:;][)\"“”»’'」』）]*$")


def truncation_facts(text: str, original: str, lang: str, lexicon: Lexicon | None = None) -> Evidence:
    """The truncation evidence of a translated paragraph ``text`` against its ``original``: whether it
    ends open or on a function word, both lengths, its tail, the number of sentences of each side, and
    with a ``lexicon`` the share of the original's words after the last one it translates (``unsaid``)
    and whether its last words translate the original's last ones (``ends_together``; not in Japanese)."""
    from ..garble import LengthModel, truncation_evidence
    from ..text import link_like

    ev = truncation_evidence(text, original, lang, LengthModel(0.0, 1.0, 0))
    unsaid = ends = None
    if lexicon is not None:
        from ..lexicon import is_cjk
        from ..xling import ends_together, prepare_english, prepare_variant, untranslated_tail

        sides = prepare_variant(text, lexicon), prepare_english(original)
        unsaid = untranslated_tail(*sides)
        ends = None if is_cjk(lang) else ends_together(*sides)
    v = text.rstrip()
    return {"open": ev.ends_open, "closed": bool(_SENTENCE_END.search(v)), "dangling": ev.dangling, "v": len(v),
            "sentence": not link_like(original), "o": len(original.rstrip()), "tail": ev.tail, "end": len(text),
            "last": True, "unsaid": None if unsaid is None else round(unsaid, 4), "ends_together": ends,
            "sentences": [_sentences(text, lang), _sentences(original, lang)]}


@lru_cache(maxsize=16_384)
def _sentences(text: str, lang: str) -> int:
    """The number of sentences of ``text`` (remembered: an original is compared with each of its variants)."""
    from ..segment import split_sentences

    return len(split_sentences(text, lang))


class TruncationDetector(Detector):
    name = "truncation"
    flag = "garbled"
    severity = "major"
    summary = ("a translated paragraph stops mid-sentence, or is far shorter than its original for what this "
               "corpus's aligned pairs of the language pair show and leaves the end of its original unsaid (one "
               "that ends a sentence and has as many as its original is terse, unless it stops translating early)")

    @dataclass(frozen=True)
    class Settings(Settings, section="flags"):
        z_open: float = setting(-1.0, "a paragraph that ends open (no final punctuation where its original has "
                                      "one, or on a function word) is truncated this many spreads below the "
                                      "corpus's median length ratio", lo=-50.0, hi=0.0)
        z: float = setting(-4.0, "… and at any ending this many spreads below", lo=-50.0, hi=0.0)
        z_dangling: float = setting(0.0, "a paragraph that ends on a function word, as no sentence does (\"… "
                                         "unterscheidet sich von den\"), is truncated this many spreads below the "
                                         "median length ratio", lo=-50.0, hi=50.0)
        min_unsaid: float = setting(0.25, "… when at least this share of the original's words, by the dictionary, "
                                          "come after the last one the paragraph translates (a complete paragraph "
                                          "that is only terse leaves words out all along; without a dictionary's "
                                          "word, only an open ending tells)", lo=0.0, hi=1.0)
        terse_unsaid: float = setting(0.5, "a paragraph that ends a sentence, with as many sentences as its "
                                           "original, is terse, not cut short, when at most this share of the "
                                           "original's words come after the last one it translates", lo=0.0, hi=1.0)
        min_pairs: int = setting(20, "aligned pairs of a language pair needed to learn its length ratio; with "
                                     "fewer, only open endings count", lo=2, hi=1_000_000)
        min_chars: int = setting(40, "originals shorter than this are not judged", lo=1, hi=100_000)
        ends_said: bool = setting(True, "a paragraph that lacks its original's final punctuation but whose last "
                                        "words, by the dictionary, translate the original's last words, and whose "
                                        "length lies above z, does not end open (a dropped full stop, not a cut)")

    def score(self, group: AlignedGroup, ctx: ArticleContext) -> list[Evidence | None] | None:
        if not _translated_pair(group, ctx):
            return None
        ev = truncation_facts(group.text, group.original_text or "", ctx.lang, ctx.lexicon)
        return [{**ev, "end": len(group.variant[0].text), "last": len(group.variant) == 1}] + [None] * (group.n_rows - 1)

    def calibrate(self, evidence: list[Evidence], settings: Settings) -> dict:
        from ..garble import calibrate_length

        model = calibrate_length([(e["v"], e["o"]) for e in evidence if e["o"] >= 40])
        return {"median": model.median, "spread": model.spread, "n": model.n, "ref": model.ref}

    def decide(self, ev: Evidence, s: Settings, calibration: dict) -> Finding | None:
        if ev["o"] < s.min_chars:
            return None
        from ..garble import LengthModel

        ratio = max(1, ev["v"]) / max(1, ev["o"])
        if calibration.get("n", 0) >= s.min_pairs:
            model = LengthModel(calibration["median"], calibration["spread"], calibration["n"],
                                calibration.get("ref", 0.0))
        else:  # no corpus to learn from: a translation about as long as its original
            model = LengthModel(0.0, 0.3, 0)
        z = model.z(ev["v"], ev["o"])
        # an open end cuts a sentence short only where the original ends one (not a heading or breadcrumb);
        # a missing full stop alone does not where its last words translate the original's last ones and
        # its length is one a whole translation can have
        dropped_stop = s.ends_said and ev.get("ends_together") and z > s.z
        dangling = ev["sentence"] and ev["dangling"] is not None
        open_end = dangling or (ev["sentence"] and ev["open"] and not dropped_stop)
        if not ((dangling and z <= s.z_dangling) or (open_end and z <= s.z_open) or z <= s.z):
            return None
        if not open_end and (ev["unsaid"] is None or ev["unsaid"] < s.min_unsaid):
            return None  # short, but it translates its original up to the end (or nothing tells)
        if not open_end and ev["closed"] and ev["sentences"][0] >= ev["sentences"][1] \
                and ev["unsaid"] <= s.terse_unsaid:
            return None  # every sentence there, the last one ended, its original translated far enough: terse
        lo, hi = model.expected_range(1.0, ev["o"])
        head = f"ends mid-sentence{' on a function word' if dangling else ''}: “… {ev['tail']}”; " if open_end else \
            (f"the last {ev['unsaid']:.0%} of the original's words are not translated; " if ev["unsaid"] else "")
        where = "this corpus's aligned pairs of the language pair of this length" if model.ref \
            else "translations"
        highlights = (Highlight(max(0, ev["end"] - len(ev["tail"])), ev["end"]),) if open_end and ev["last"] else ()
        return Finding(f"{head}{ratio:.0%} of the original's length where {where} run {lo:.0%}–{hi:.0%}", highlights)


class ReplacementDetector(Detector):
    name = "replacement"
    flag = "garbled"
    severity = "major"
    summary = ("a translated paragraph does not translate its original: its cross-language similarity (dictionary "
               "words, names, numbers, length) is far below the article's other pairs, or another paragraph of "
               "the original matches it better (with sentence embeddings on, only where they agree)")

    @dataclass(frozen=True)
    class Settings(Settings, section="flags"):
        max_score: float = setting(0.2, "cross-language similarity at or below which a pair can be a replacement",
                                   lo=0.0, hi=1.0)
        z: float = setting(-1.5, "… when it also lies this many spreads below the article's other pairs",
                           lo=-50.0, hi=0.0)
        min_pairs: int = setting(3, "other aligned pairs the article needs to compare with", lo=1, hi=1000)
        min_words: int = setting(8, "words each side needs", lo=1, hi=1000)
        max_on_topic: float = setting(0.5, "a paragraph of which at least this share of words recur elsewhere on "
                                           "its page is about the page's subject, not another page's: not a "
                                           "replacement …", lo=0.0, hi=1.0)
        on_topic_z: float = setting(-4.0, "… unless its similarity lies this many spreads below the article's "
                                          "other pairs", lo=-50.0, hi=0.0)
        embedding_margin: float = setting(0.05, "with sentence embeddings ([lexicons] embeddings), a pair is no "
                                                "replacement unless its cosine lies at least this far below the "
                                                "median of the article's other pairs", lo=0.0, hi=2.0)

    def score_article(self, groups: Sequence[AlignedGroup], ctx: ArticleContext
                      ) -> list[Sequence[Evidence | None] | None]:
        if ctx.lexicon is None:
            return [None] * len(groups)
        from ..text import words

        # every aligned pair is judged (a foreign paragraph is often folded into a 2:1 or 1:2 group
        # with a neighbour), against the article's 1:1 pairs
        scores = {id(g): g.similarity for g in groups if _translated_pair(g, ctx) and g.similarity is not None}
        baseline = {id(g): g.similarity for g in groups if id(g) in scores and g.kind == "1:1"}
        # a paragraph from another page is about another subject than its page
        on_topic = topic_shares([" ".join(s.text for s in g.variant if not s.is_boilerplate) for g in groups])
        facts: dict[int, Evidence] = {}
        for g, share in zip(groups, on_topic, strict=True):
            if id(g) in scores and not g.copies_original:  # a copy replaces nothing
                others = [v for k, v in baseline.items() if k != id(g)]
                words_ = min(len(words(g.text)), len(words(g.original_text or "")))
                facts[id(g)] = replacement_facts(scores[id(g)], others, better=g.alternative, words=words_,
                                                 on_topic=share)
        if ctx.resources is not None and ctx.resources.embedder is not None:
            _embedding_facts(groups, facts, baseline, ctx.resources.embedder, ctx.resources.embeddings_below)
        return [[facts[id(g)]] * g.n_rows if id(g) in facts else None for g in groups]

    def decide(self, ev: Evidence, s: Settings, calibration: dict) -> Finding | None:
        if ev["n"] < s.min_pairs or ev["words"] < s.min_words or ev["score"] > s.max_score:
            return None
        z = (ev["score"] - ev["median"]) / ev["spread"]
        on_topic = ev["on_topic"]
        if z > s.z or (on_topic >= s.max_on_topic and z > s.on_topic_z):
            return None
        emb = ev.get("embedding")
        if emb and emb["cos"] > emb["median"] - s.embedding_margin:
            return None  # the sentence embeddings find it as close to its original as the article's other pairs
        better = ev["better"]
        extra = f"; original segment {better[0]} matches it better ({better[1]:.2f})" \
            if better and better[1] > ev["score"] else ""
        second = f"; sentence embeddings: cosine {emb['cos']:.2f} where the article's pairs have " \
                 f"{emb['median']:.2f}" if emb else ""
        return Finding(f"does not translate its original: cross-language similarity {ev['score']:.2f} where the "
                       f"article's other pairs score {ev['median']:.2f} (±{ev['spread']:.2f}){extra}; "
                       f"{on_topic:.0%} of its words occur elsewhere on the page{second}")


#: The article's other 1:1 pairs (at most, spread over it) a low pair's embedding cosine is compared with.
_EMBED_REFERENCES = 8


def _embedding_facts(groups: Sequence[AlignedGroup], facts: dict[int, Evidence], baseline: dict[int, float],
                     embedder, below: float) -> None:  # noqa: ANN001 — a pipeline.embed.Embedder
    """Add to the replacement evidence of the article's pairs scored at or below ``below`` their
    sentence-embedding cosine and the median cosine of the article's other pairs (``embedding``)."""
    low = [g for g in groups if id(g) in facts and facts[id(g)]["score"] <= below]
    if not low:
        return
    pool = [g for g in groups if id(g) in baseline]
    pool = pool[::max(1, len(pool) // (_EMBED_REFERENCES + 1))][:_EMBED_REFERENCES + 1]
    todo = list({id(g): g for g in low + pool}.values())
    cos = dict(zip(map(id, todo), embedder.cosines([(g.text, g.original_text or "") for g in todo]), strict=True))
    for g in low:
        refs = [cos[id(r)] for r in pool if r is not g][:_EMBED_REFERENCES]
        if len(refs) >= 3:
            facts[id(g)] = {**facts[id(g)], "embedding": {"cos": cos[id(g)], "median": round(statistics.median(refs), 4),
                                                          "n": len(refs)}}


def replacement_facts(score: float, others: Sequence[float], *, better: Sequence | None, words: int,
                      on_topic: float) -> Evidence:
    """The replacement evidence of an aligned pair of similarity ``score``: the median and spread (1.4826 ·
    MAD, at least 0.05) of the article's ``others`` pairs, the original segment that matches it
    ``better`` (id, similarity) if any, the fewer ``words`` of its two sides, and its ``on_topic`` share."""
    med = statistics.median(others) if others else score
    spread = max(0.05, 1.4826 * statistics.median(abs(x - med) for x in others)) if others else 0.05
    return {"score": score, "median": round(med, 4), "spread": round(spread, 4), "n": len(others),
            "better": list(better) if better else None, "words": words, "on_topic": round(on_topic, 4)}


def topic_shares(texts: Sequence[str]) -> list[float]:
    """For each of a page's paragraphs, the share of its topic units (:func:`_topic_units`) that another
    of them says too."""
    page = [_topic_units(t) for t in texts]
    said = Counter(u for units in page for u in units)
    return [sum(said[u] > 1 for u in units) / len(units) if units else 0.0 for units in page]


#: the words that say what a paragraph is about: of four letters or more, compared by their first five
#: (inflections aside); in a script without spaces, its character pairs
_TOPIC_WORD_RE = re.compile(r"[^\W\d_]{4,}")


@lru_cache(maxsize=65_536)
def _topic_units(text: str) -> frozenset[str]:
    from ..text import UNSPACED_RE, fold

    units = {fold(w)[:5] for w in _TOPIC_WORD_RE.findall(UNSPACED_RE.sub(" ", text))}
    for run in UNSPACED_RE.findall(text):
        units.update(run[i:i + 2] for i in range(len(run) - 1))
    return frozenset(units)


class WordOrderDetector(Detector):
    name = "word_order"
    flag = "garbled"
    severity = "major"
    summary = ("a translated paragraph's words are in an order the language does not use: under a model of the "
               "corpus's own text of that language, its word pairs are no likelier than the same words shuffled, or "
               "far less so than the corpus's paragraphs in the language are; a paragraph of several sentences is "
               "judged whole too (unless, by the dictionary, a sentence's words keep their original's order)")

    @dataclass(frozen=True)
    class Settings(Settings, section="flags"):
        max_strength: float = setting(0.5, "order strength (gain per word pair × √words) at or below which the "
                                            "order is implausible …", lo=-100.0, hi=100.0)
        relative: float = setting(0.15, "… or at or below this share of the strength its number of words has at "
                                        "the median gain of the corpus's paragraphs in the language (learned per "
                                        "language pair: real text of a language gains about the same per pair at "
                                        "any length; shuffled text gains nothing)", lo=0.0, hi=1.0)
        min_paragraphs: int = setting(30, "paragraphs of a language (of 10 words or more: the length from which "
                                          "relative applies) needed to learn its median gain; with fewer, only "
                                          "max_strength counts", lo=1, hi=1_000_000)
        paragraphs: bool = setting(True, "a paragraph of several sentences is judged whole too, its sentences read "
                                         "together (shuffled, its full stops move with its words and cut it into "
                                         "pieces each too short to tell)")
        min_tokens: int = setting(6, "words a paragraph needs", lo=3, hi=1000)
        min_tokens_unspaced: int = setting(8, "… in a language written without spaces (Japanese: runs of one "
                                              "script, shorter than words)", lo=3, hi=1000)
        min_lexical: float = setting(0.5, "share of its words that must be words of a language (not names in "
                                          "capitals, numbers or code): a list of names reads the same in any "
                                          "order", lo=0.0, hi=1.0)
        kept_order: float = setting(0.9, "with a dictionary: a paragraph whose words, matched one to one with "
                                         "its original's, keep this share of their pairs in the original's order "
                                         "is not shuffled …", lo=0.0, hi=1.0)
        kept_order_words: int = setting(6, "… when at least this many of its words are so matched", lo=2, hi=1000)

    def score(self, group: AlignedGroup, ctx: ArticleContext) -> list[Evidence | None] | None:
        model = ctx.resources.order_models.get(ctx.lang) if ctx.resources else None
        if model is None or not ctx.translated or ctx.role != "variant":
            return None
        from ..garble import paragraph_order_evidence
        from ..lexicon import is_cjk
        from ..xling import order_agreement, prepare_english, prepare_variant

        out: list[Evidence | None] = []
        for seg in group.variant:
            if not _order_judged(seg, ctx):
                out.append(None)
                continue
            agreement = order_agreement(prepare_variant(seg.text, ctx.lexicon), prepare_english(group.original_text)) \
                if ctx.lexicon is not None and group.original_text else None
            out.append(order_facts(paragraph_order_evidence(seg.text, model, ctx.lexicon, ctx.lang), is_cjk(ctx.lang),
                                   agreement))
        return out if any(out) else None

    def score_article(self, groups: Sequence[AlignedGroup], ctx: ArticleContext
                      ) -> list[Sequence[Evidence | None] | None]:
        scored = [self.score(g, ctx) for g in groups]
        model = ctx.resources.order_models.get(ctx.lang) if ctx.resources else None
        if model is None or not ctx.translated or ctx.role != "variant":
            return scored
        from ..garble import paragraph_order_evidence
        from ..lexicon import is_cjk

        # a paragraph of several sentences is judged whole too ([flags] word_order_paragraphs)
        paragraphs: dict[int, list[Segment]] = {}
        for g in groups:
            for seg in g.variant:
                if seg.block_idx is not None and _order_judged(seg, ctx):
                    paragraphs.setdefault(seg.block_idx, []).append(seg)
        whole = {idx: order_facts(paragraph_order_evidence(" ".join(s.text for s in sorted(segs, key=lambda s: s.seg_id)),
                                                           model, ctx.lexicon, ctx.lang), is_cjk(ctx.lang))
                 for idx, segs in paragraphs.items() if len(segs) > 1}
        whole = {idx: ev for idx, ev in whole.items() if ev is not None}
        if not whole:
            return scored
        out: list[Sequence[Evidence | None] | None] = []
        for g, rows in zip(groups, scored, strict=True):
            rows = list(rows) if rows is not None else [None] * g.n_rows
            for i, seg in enumerate(g.variant):
                if seg.block_idx in whole and _order_judged(seg, ctx):
                    rows[i] = {**(rows[i] or {}), "paragraph": whole[seg.block_idx]}
            out.append(rows if any(rows) else None)
        return out

    def calibrate(self, evidence: list[Evidence], settings: Settings) -> dict:
        gains = [e["gain"] for e in evidence
                 if e and "gain" in e and e["tokens"] >= _LEARNED_TOKENS and e["lexical"] >= 0.5]
        return {"gain": round(statistics.median(gains), 4), "n": len(gains)} if gains else {"n": 0}

    def decide(self, ev: Evidence, s: Settings, calibration: dict) -> Finding | None:
        learned = calibration.get("gain", 0.0) if calibration.get("n", 0) >= s.min_paragraphs else 0.0
        if "gain" in ev and _implausible(ev, s, learned) and not (
                ev["kept"] is not None and ev["matched"] >= s.kept_order_words and ev["kept"] >= s.kept_order):
            # (words that come in their original's order are a translation that keeps it, not a shuffle)
            return Finding(f"word order implausible: its word pairs are {_than(ev, s, learned)}")
        whole = ev.get("paragraph") if s.paragraphs else None
        if whole and _implausible(whole, s, learned):
            return Finding(f"word order implausible in its paragraph, its sentences read together: the paragraph's "
                           f"word pairs are {_than(whole, s, learned)}")
        return None


def _order_judged(seg: Segment, ctx: ArticleContext) -> bool:
    """A segment whose word order is judged: body text in a language other than the source, not a
    breadcrumb trail of three steps or more (its steps come in no language's order)."""
    return seg.block not in ("boilerplate", "code", "title") and seg.lang not in (None, ctx.source_lang) \
        and trail_steps(seg.text) < 3


def _implausible(ev: Evidence, s: WordOrderDetector.Settings, learned: float) -> bool:
    """Order evidence ``ev`` (of a segment or a paragraph) reads as shuffled: enough words of a language,
    and a strength at or below ``max_strength`` or (from 10 words) ``relative`` of what the ``learned``
    median gain gives its length."""
    limit = max(s.max_strength, s.relative * learned * math.sqrt(ev["tokens"])) \
        if ev["tokens"] >= _LEARNED_TOKENS else s.max_strength
    return ev["tokens"] >= (s.min_tokens_unspaced if ev["unspaced"] else s.min_tokens) \
        and ev["strength"] <= limit and ev["lexical"] >= s.min_lexical


def _than(ev: Evidence, s: WordOrderDetector.Settings, learned: float) -> str:
    """What the order evidence ``ev`` was found to be, for a reason."""
    than = "no likelier than the same words shuffled" if ev["strength"] <= s.max_strength else \
        f"barely likelier than the same words shuffled, where this corpus's paragraphs in the language gain {learned:.2f}"
    pairs = ", ".join(f"“{w}”" for w in ev["worst"])
    return f"{than} (gain {ev['gain']:.2f} per pair; least likely: {pairs})"


#: Words a paragraph needs for its gain to count in the language's median, and for the threshold
#: learned from it to apply (shorter ones scatter: headings, list items, table cells).
_LEARNED_TOKENS = 10


def order_facts(ev: OrderEvidence, unspaced: bool, agreement: tuple[float | None, int] | None = None
                ) -> Evidence | None:
    """The word-order evidence row of a paragraph's :class:`~pipeline.garble.OrderEvidence` (None for
    fewer than three words); ``unspaced``: its language is written without spaces; ``agreement``: how
    far it keeps its original's order (:func:`pipeline.xling.order_agreement`), where known."""
    if ev.tokens < 3:
        return None
    kept, matched = agreement or (None, 0)
    return {"strength": round(ev.strength, 4), "gain": round(ev.gain, 4), "tokens": ev.tokens, "unspaced": unspaced,
            "worst": list(ev.worst), "lexical": round(ev.lexical, 4),
            "kept": None if kept is None else round(kept, 4), "matched": matched}
