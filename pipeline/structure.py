"""The corpus's structure: boilerplate labels, article boundaries and each article's expected language."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import polars as pl

from .articles import BlockLayout, LangEvidence, article_id, document_slugs, expected_language, split_articles
from .boilerplate import BlockInfo, label_boilerplate
from .config import BoilerplateConfig, PairConfig
from .frames import ARTICLE_SCHEMA, STRUCTURE_SCHEMA
from .text import words


def structure_corpus(segments: pl.DataFrame, manifest_lang: Mapping[str, str | None],
                     manifest_original: Mapping[str, str | None], source_lang: str, bp_cfg: BoilerplateConfig,
                     pair_cfg: PairConfig) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Boilerplate labels, articles and expected languages for the whole corpus.

    ``segments``: doc_path, block_idx, kind, new_section, chrome, sent_idx, text, lang,
    lang_confidence (all documents). Returns (per-segment structure, per-article table without
    pairing)."""
    segments = segments.sort("doc_path", "block_idx", "sent_idx")
    blocks = (segments.group_by("doc_path", "block_idx", maintain_order=True)
              .agg(pl.col("kind").first(), pl.col("new_section").first(), pl.col("chrome").first(),
                   pl.col("text").str.join(" "),
                   pl.col("lang").filter(pl.col("lang_confidence") >= 0.5).mode().sort().first().alias("lang"),
                   pl.col("text").str.len_chars().sum().alias("chars")))
    infos = [BlockInfo(d, b, k, t, c, lg) for d, b, k, t, c, lg in
             blocks.select("doc_path", "block_idx", "kind", "text", "chrome", "lang").iter_rows()]
    labels = label_boilerplate(infos, bp_cfg, manifest_lang, manifest_original)
    slugs = document_slugs(blocks["doc_path"].unique(maintain_order=True).to_list())

    by_doc: dict[str, list[dict]] = defaultdict(list)
    for row in blocks.iter_rows(named=True):
        by_doc[row["doc_path"]].append(row)
    path_langs = _mirrored_path_languages(list(by_doc), source_lang) if pair_cfg.by_path else {}
    block_article: dict[tuple[str, int], str] = {}
    article_rows: dict[str, list] = {k: [] for k in ("article_id", "doc_path", "position", "lang", "lang_reason")}
    for doc_path, doc_blocks in by_doc.items():
        layout = [BlockLayout(b["kind"], b["new_section"], (doc_path, b["block_idx"]) in labels, len(words(b["text"])))
                  for b in doc_blocks]
        index = split_articles(layout)
        evidence = [LangEvidence(b["lang"], b["chars"], (doc_path, b["block_idx"]) in labels) for b in doc_blocks]
        lang, why = expected_language(evidence, source_lang, pair_cfg.target_min_share, manifest_lang.get(doc_path),
                                      path_langs.get(doc_path))
        for b, a_idx in zip(doc_blocks, index, strict=True):
            block_article[(doc_path, b["block_idx"])] = article_id(slugs[doc_path], a_idx)
        for a_idx in sorted(set(index)):
            for k, v in zip(article_rows, (article_id(slugs[doc_path], a_idx), doc_path, a_idx, lang, why),
                            strict=True):
                article_rows[k].append(v)

    keys = segments.select("doc_path", "block_idx", "sent_idx", "kind")
    pairs = keys.select("doc_path", "block_idx").iter_rows()
    art_ids, reasons = [], []
    for d, b in pairs:
        art_ids.append(block_article[(d, b)])
        reasons.append(labels.get((d, b)))
    structure = keys.with_columns(
        pl.Series("article_id", art_ids, dtype=pl.String),
        pl.Series("boilerplate_reason", reasons, dtype=pl.String),
    ).with_columns(
        pl.when(pl.col("boilerplate_reason").is_not_null()).then(pl.lit("boilerplate"))
        .otherwise(pl.col("kind")).alias("block"),
        pl.int_range(pl.len()).over("article_id").cast(pl.Int64).alias("seg_id"),
    ).select(list(STRUCTURE_SCHEMA))
    return structure, pl.DataFrame(article_rows, schema={k: ARTICLE_SCHEMA[k] for k in article_rows})


def _mirrored_path_languages(doc_paths: list[str], source_lang: str) -> dict[str, str]:
    """The language each document's path names, for those whose path mirrors a document's in a
    folder (or with a suffix) of the source language: "ja/x.html" beside "en/x.html"."""
    from .langid import known_language
    from .pair import path_key, path_language

    named = {d: path_language(d, known_language) for d in doc_paths}
    source_keys = {path_key(d, known_language) for d, lang in named.items() if lang == source_lang}
    return {d: lang for d, lang in named.items()
            if lang and lang != source_lang and path_key(d, known_language) in source_keys}
