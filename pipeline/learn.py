"""Word translations learnt from the corpus itself: align paired articles with the dictionary, keep
the pairs the alignment is sure of, learn from them which words translate which (Dice
co-occurrence), and score the corpus with the dictionary and what was learnt. A small dictionary
(FreeDict's Swedish has some 4,000 words) so comes to cover the corpus's own vocabulary."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Mapping

import polars as pl

from .align import align_segments
from .config import AlignConfig


def confident_pairs(articles: pl.DataFrame, segments: pl.DataFrame, lang: str, lexicon, cfg: AlignConfig,  # noqa: ANN001
                    max_articles: int, min_similarity: float) -> list[tuple[str, str]]:
    """(English, ``lang``) segment pairs of paired articles that the aligner matches 1:1 with a
    similarity of at least ``min_similarity``, from up to ``max_articles`` articles (chosen by a
    hash of their ids: the same ones whatever the order of the corpus). ``articles``: the pairing
    table; ``segments``: structure joined with text."""
    paired = articles.filter((pl.col("lang") == lang) & (pl.col("role") == "variant")
                             & pl.col("original_article_id").is_not_null())
    ids = sorted(paired.select("article_id", "original_article_id").iter_rows(),
                 key=lambda r: hashlib.blake2b(r[0].encode(), digest_size=8).digest())[:max_articles]
    wanted = {a for pair in ids for a in pair}
    texts: dict[str, list[str]] = defaultdict(list)
    for article_id, text in (segments.filter((pl.col("block") != "boilerplate") & pl.col("article_id").is_in(list(wanted)))
                             .sort("article_id", "seg_id").select("article_id", "text").iter_rows()):
        texts[article_id].append(text)
    out = []
    for variant_id, original_id in ids:
        v, o = texts.get(variant_id, []), texts.get(original_id, [])
        if not v or not o:
            continue
        for g in align_segments(v, o, False, cfg, lexicon=lexicon):
            if g.kind == "1:1" and g.score is not None and g.score >= min_similarity:
                out.append((o[g.original[0]], v[g.variant[0]]))
    return out


def corpus_lexicons(articles: pl.DataFrame, segments: pl.DataFrame, lexicons: Mapping[str, object],
                    cfg: AlignConfig, max_articles: int = 300, min_similarity: float = 0.45) -> dict[str, object]:
    """Each lexicon of ``lexicons`` (language -> ``pipeline.lexicon.Lexicon``) with the word
    translations learnt from the corpus's confidently aligned pairs of that language merged in."""
    from .lexicon import learn_lexicon

    out = {}
    for lang, base in lexicons.items():
        pairs = confident_pairs(articles, segments, lang, base, cfg, max_articles, min_similarity)
        learned = learn_lexicon(pairs, lang, base=base, source=f"corpus:{len(pairs)} pairs") if pairs else None
        out[lang] = base.merged(learned) if learned is not None and len(learned) else base  # type: ignore[attr-defined]
    return out


def order_models(segments: pl.DataFrame, languages: list[str], lexicons: Mapping[str, object]) -> dict[str, object]:
    """A word-order model (``pipeline.garble.OrderModel``) of each language from the corpus's own body
    text in it: every paragraph is later scored by the rest (leave-one-out). ``segments``: structure
    joined with text and language."""
    from .garble import OrderModel, order_tokens

    out = {}
    for lang in languages:
        texts = segments.filter((pl.col("block") != "boilerplate") & (pl.col("lang") == lang))["text"].unique()
        if texts.len() < 50:
            continue  # too little text to say what the language's word order is
        lex = lexicons.get(lang)
        out[lang] = OrderModel(order_tokens(t, lex, lang) for t in texts.to_list())  # type: ignore[arg-type]
    return out
