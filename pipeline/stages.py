"""The stages over whole frames, as the Luigi tasks call them.

Each function takes and returns polars frames (and plain lists), so a task only reads its inputs,
calls one function here and writes the result.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import chain

import numpy as np
import polars as pl

from .article_audit import audit_article, summarize_article
from .articles import BlockLayout, LangEvidence, article_id, document_slugs, expected_language, split_articles
from .boilerplate import BlockInfo, label_boilerplate
from .config import AlignConfig, BoilerplateConfig, ExtractConfig, FlagConfig, GateConfig, LangIdConfig, PairConfig
from .discover import Document, InputProblem
from .errors import InputError
from .extract import decode, extract_blocks
from .langid import identify
from .pair import ArticleText, pair_articles
from .score import LexicalScorer
from .segment import segment_block

SPAN_TYPE = pl.List(pl.Struct({"start": pl.Int64, "end": pl.Int64, "lang": pl.String}))
EXTRACT_SCHEMA = {"doc_path": pl.String, "block_idx": pl.Int64, "kind": pl.String, "new_section": pl.Boolean,
                  "chrome": pl.Boolean, "sent_idx": pl.Int64, "text": pl.String}
LANG_SCHEMA = {**EXTRACT_SCHEMA, "lang": pl.String, "lang_confidence": pl.Float64, "spans": SPAN_TYPE}
STRUCTURE_SCHEMA = {"doc_path": pl.String, "block_idx": pl.Int64, "sent_idx": pl.Int64, "article_id": pl.String,
                    "seg_id": pl.Int64, "block": pl.String, "boilerplate_reason": pl.String}
ARTICLE_SCHEMA = {"article_id": pl.String, "doc_path": pl.String, "position": pl.Int64, "lang": pl.String,
                  "lang_reason": pl.String, "role": pl.String, "original_article_id": pl.String,
                  "original_path": pl.String, "pair_score": pl.Float64, "pair_method": pl.String,
                  "pair_reason": pl.String}
FLAG_COUNTS_TYPE = pl.Struct({f: pl.Int64 for f in ("untranslated", "partially_translated", "garbled", "omission",
                                                    "addition", "number_mismatch", "term_violation", "boilerplate")})
SEGMENTS_SCHEMA = {
    "article_id": pl.String, "doc_path": pl.String, "original_path": pl.String, "original_article_id": pl.String,
    "role": pl.String, "seg_id": pl.Int64, "block": pl.String, "text": pl.String, "lang": pl.String,
    "lang_confidence": pl.Float64, "spans": SPAN_TYPE, "align_group": pl.Int64, "alignment": pl.String,
    "original_seg_ids": pl.List(pl.Int64), "original_text": pl.String, "align_score": pl.Float64,
    "backtranslation": pl.String, "bleu": pl.Float64, "chrf": pl.Float64, "ter": pl.Float64, "comet": pl.Float64,
    "flags": pl.List(pl.String), "reasons": pl.List(pl.String)}
ARTICLES_SCHEMA = {
    "article_id": pl.String, "doc_path": pl.String, "original_path": pl.String, "original_article_id": pl.String,
    "role": pl.String, "title": pl.String, "lang": pl.String, "n_segments": pl.Int64, "n_body": pl.Int64,
    "bleu": pl.Float64, "chrf": pl.Float64, "ter": pl.Float64, "comet": pl.Float64, "flag_counts": FLAG_COUNTS_TYPE,
    "verdict": pl.String, "reasons": pl.List(pl.String)}


@dataclass(frozen=True)
class SourceFile:
    document: Document
    data: bytes
    lang_hint: str  # language to segment with: the manifest's, else the source language


def extract_documents(files: list[SourceFile], cfg: ExtractConfig) -> tuple[pl.DataFrame, list[InputProblem]]:
    """Decode, extract blocks and segment sentences; one problem per file that cannot be audited."""
    rows: dict[str, list] = {k: [] for k in EXTRACT_SCHEMA}
    problems: list[InputProblem] = []
    for f in files:
        doc = f.document
        try:
            decoded = decode(f.data, cfg)
            blocks = extract_blocks(decoded.text, doc.kind, cfg)
        except InputError as exc:
            problems.append(InputProblem(doc.path, str(exc)))
            continue
        except Exception as exc:  # a parser crash on one file must not stop the corpus
            problems.append(InputProblem(doc.path, f"cannot extract text ({type(exc).__name__}: {exc})"))
            continue
        if decoded.warning:
            problems.append(InputProblem(doc.path, decoded.warning, "warning"))
        if not blocks:
            problems.append(InputProblem(doc.path, "no text found (markup only?)"))
            continue
        for b_idx, block in enumerate(blocks):
            for s_idx, sent in enumerate(segment_block(block.kind, block.text, f.lang_hint)):
                for key, value in zip(EXTRACT_SCHEMA, (doc.path, b_idx, block.kind, block.new_section,
                                                       block.chrome, s_idx, sent), strict=True):
                    rows[key].append(value)
    return pl.DataFrame(rows, schema=EXTRACT_SCHEMA), problems


def identify_languages(segments: pl.DataFrame, cfg: LangIdConfig) -> pl.DataFrame:
    """``segments`` with ``lang``, ``lang_confidence`` and ``spans`` added."""
    results = identify(segments["text"].to_list(), cfg)
    return segments.with_columns(
        pl.Series("lang", [r.lang for r in results], dtype=pl.String),
        pl.Series("lang_confidence", [r.confidence for r in results], dtype=pl.Float64),
        _list_column("spans", [[{"start": a, "end": b, "lang": lg} for a, b, lg in r.spans] for r in results],
                     SPAN_TYPE),
    )


def structure_corpus(segments: pl.DataFrame, manifest_lang: dict[str, str | None], source_lang: str,
                     bp_cfg: BoilerplateConfig, pair_cfg: PairConfig) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Boilerplate labels, articles and expected languages for the whole corpus.

    ``segments``: doc_path, block_idx, kind, new_section, chrome, sent_idx, text, lang,
    lang_confidence (all documents). Returns (per-segment structure, per-article table without
    pairing).
    """
    segments = segments.sort("doc_path", "block_idx", "sent_idx")
    blocks = (segments.group_by("doc_path", "block_idx", maintain_order=True)
              .agg(pl.col("kind").first(), pl.col("new_section").first(), pl.col("chrome").first(),
                   pl.col("text").str.join(" "),
                   pl.col("lang").filter(pl.col("lang_confidence") >= 0.5).mode().sort().first().alias("lang"),
                   pl.col("text").str.len_chars().sum().alias("chars")))
    infos = [BlockInfo(d, b, k, t, c, lg) for d, b, k, t, c, lg in
             blocks.select("doc_path", "block_idx", "kind", "text", "chrome", "lang").iter_rows()]
    labels = label_boilerplate(infos, bp_cfg, manifest_lang)
    slugs = document_slugs(blocks["doc_path"].unique(maintain_order=True).to_list())

    by_doc: dict[str, list[tuple]] = defaultdict(list)
    for row in blocks.iter_rows(named=True):
        by_doc[row["doc_path"]].append(row)
    block_article: dict[tuple[str, int], str] = {}
    article_rows: dict[str, list] = {k: [] for k in ("article_id", "doc_path", "position", "lang", "lang_reason")}
    for doc_path, doc_blocks in by_doc.items():
        layout = [BlockLayout(b["kind"], b["new_section"], (doc_path, b["block_idx"]) in labels) for b in doc_blocks]
        index = split_articles(layout)
        evidence = [LangEvidence(b["lang"], b["chars"], (doc_path, b["block_idx"]) in labels) for b in doc_blocks]
        lang, why = expected_language(evidence, source_lang, pair_cfg.target_min_share, manifest_lang.get(doc_path))
        for b, a_idx in zip(doc_blocks, index, strict=True):
            block_article[(doc_path, b["block_idx"])] = article_id(slugs[doc_path], a_idx)
        for a_idx in sorted(set(index)):
            for k, v in zip(article_rows, (article_id(slugs[doc_path], a_idx), doc_path, a_idx, lang, why),
                            strict=True):
                article_rows[k].append(v)

    keys = segments.select("doc_path", "block_idx", "sent_idx", "kind")
    art_ids = [block_article[(d, b)] for d, b in keys.select("doc_path", "block_idx").iter_rows()]
    reasons = [labels.get((d, b)) for d, b in keys.select("doc_path", "block_idx").iter_rows()]
    structure = keys.with_columns(
        pl.Series("article_id", art_ids, dtype=pl.String),
        pl.Series("boilerplate_reason", reasons, dtype=pl.String),
    ).with_columns(
        pl.when(pl.col("boilerplate_reason").is_not_null()).then(pl.lit("boilerplate"))
        .otherwise(pl.col("kind")).alias("block"),
        pl.int_range(pl.len()).over("article_id").cast(pl.Int64).alias("seg_id"),
    ).select(list(STRUCTURE_SCHEMA))
    return structure, pl.DataFrame(article_rows, schema={k: ARTICLE_SCHEMA[k] for k in article_rows})


def pair_corpus(articles: pl.DataFrame, segments: pl.DataFrame, manifest_original: dict[str, str | None],
                manifest_role: dict[str, str | None], cfg: PairConfig) -> pl.DataFrame:
    """``articles`` with role and pairing columns. ``segments``: structure joined with text."""
    body = (segments.filter(pl.col("block") != "boilerplate")
            .group_by("article_id", maintain_order=True)
            .agg(pl.col("text").filter(pl.col("block") == "title").first().alias("title"),
                 pl.col("text").str.join(" ").alias("body")))
    texts = {r[0]: (r[1] or "", r[2] or "") for r in body.iter_rows()}
    items = [ArticleText(a["article_id"], a["doc_path"], a["position"], a["lang"], manifest_role.get(a["doc_path"]),
                         *texts.get(a["article_id"], ("", "")))
             for a in articles.iter_rows(named=True)]
    roles, pairs = pair_articles(items, manifest_original, cfg)
    ids = articles["article_id"].to_list()
    return articles.with_columns(
        pl.Series("role", [roles[i] for i in ids], dtype=pl.String),
        pl.Series("original_article_id", [pairs[i].original_article_id for i in ids], dtype=pl.String),
        pl.Series("original_path", [pairs[i].original_path for i in ids], dtype=pl.String),
        pl.Series("pair_score", [pairs[i].score for i in ids], dtype=pl.Float64),
        pl.Series("pair_method", [pairs[i].method for i in ids], dtype=pl.String),
        pl.Series("pair_reason", [pairs[i].reason for i in ids], dtype=pl.String),
    ).select(list(ARTICLE_SCHEMA))


def audit_articles(articles: pl.DataFrame, segments: pl.DataFrame, glossary: tuple[str, ...],
                   align_cfg: AlignConfig, flag_cfg: FlagConfig, gate_cfg: GateConfig,
                   backtranslations: dict[tuple[str, str], str] | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Audit the given articles. ``segments`` holds their segments and their originals' (structure
    joined with languages; ``backtranslations`` maps (language, text) to English); returns
    (segments.parquet rows, articles.parquet rows)."""
    by_article: dict[str, list[dict]] = defaultdict(list)
    for seg in segments.sort("article_id", "seg_id").iter_rows(named=True):
        by_article[seg["article_id"]].append(seg)
    bt = backtranslations or {}
    seg_rows: list[dict] = []
    art_rows: list[dict] = []
    for art in articles.iter_rows(named=True):
        if art["article_id"] not in by_article:
            continue
        mine = by_article[art["article_id"]]
        original = by_article.get(art["original_article_id"]) if art["original_article_id"] else None
        texts = {s["text"] for s in mine}  # back-translations are keyed by (language, text)
        english = {t: bt[(art["lang"], t)] for t in texts if (art["lang"], t) in bt}
        rows = audit_article(art, mine, original, glossary, align_cfg, flag_cfg, _SCORER,
                             original_lang=art.get("original_lang"), backtranslations=english or None)
        art_rows.append(summarize_article(art, rows, _SCORER, gate_cfg))
        seg_rows.extend(rows)
    return rows_frame(seg_rows, SEGMENTS_SCHEMA), rows_frame(art_rows, ARTICLES_SCHEMA)


def rows_frame(rows: list[dict], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """``pl.from_dicts(rows, schema=schema)``, with the list columns built from their flattened
    values: polars converts a nested Python value one row at a time, several times slower."""
    flat = {k: t for k, t in schema.items() if not isinstance(t, pl.List)}
    frame = pl.from_dicts(rows, schema=flat) if rows else pl.DataFrame(schema=flat)
    return frame.with_columns(_list_column(k, [r[k] or () for r in rows], t)
                              for k, t in schema.items() if isinstance(t, pl.List)).select(list(schema))


def _list_column(name: str, values: list, dtype: pl.List) -> pl.Series:
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    items = list(chain.from_iterable(values))
    inner = dtype.inner
    flat = (pl.from_dicts(items, schema=dict(inner.to_schema())).to_struct(name) if isinstance(inner, pl.Struct)
            else pl.Series(name, items, dtype=inner))
    grouped = pl.DataFrame([pl.Series("_row", np.repeat(np.arange(len(values)), lengths)), flat]).group_by(
        "_row").agg(pl.col(name))
    return (pl.DataFrame({"_row": np.arange(len(values))}).join(grouped, on="_row", how="left").sort("_row")[name]
            .fill_null(pl.lit([], dtype=dtype)).cast(dtype))


_SCORER = LexicalScorer()


BT_SCHEMA = {"lang": pl.String, "text": pl.String, "backtranslation": pl.String}


def backtranslation_requests(articles: pl.DataFrame, segments: pl.DataFrame, source_lang: str) -> dict[str, list[str]]:
    """Distinct body texts of variant articles that are not in the source language, per language.

    ``articles``: the pairing table; ``segments``: structure joined with text."""
    wanted = articles.filter((pl.col("role") == "variant") & (pl.col("lang") != source_lang)).select(
        "article_id", "lang")
    rows = (segments.filter(pl.col("block") != "boilerplate").join(wanted, on="article_id")
            .select("lang", "text").unique(maintain_order=True))
    out: dict[str, list[str]] = {}
    for lang, text in rows.iter_rows():
        out.setdefault(lang, []).append(text)
    return out


def backtranslate_corpus(requests: dict[str, list[str]], source_lang: str, translators: dict, cache) -> pl.DataFrame:
    """Back-translations of every requested text (``translators``: language -> ArgosBackTranslator;
    languages without one are left out)."""
    from .backtranslate import back_translate

    rows = []
    for lang, texts in sorted(requests.items()):
        if lang in translators:
            done = back_translate(texts, translators[lang], cache)
            rows += [(lang, t, done[t]) for t in texts if t in done]
    return pl.DataFrame(rows, schema=BT_SCHEMA, orient="row")


def comet_requests(segments: pl.DataFrame, reference_free: bool) -> pl.DataFrame:
    """One COMET item per aligned group: reference-based (src = variant, mt = back-translation,
    ref = original) for back-translated groups; QE (src = original, mt = variant) for every
    paired group. Columns: article_id, align_group, src, mt, ref."""
    groups = (segments.filter(pl.col("align_group").is_not_null() & pl.col("text").is_not_null()
                              & pl.col("original_text").is_not_null() & (pl.col("alignment") != "boilerplate"))
              .group_by("article_id", "align_group", maintain_order=True)
              .agg(pl.col("text").str.join(" ").alias("variant"),
                   pl.col("backtranslation").drop_nulls().str.join(" ").alias("bt"),
                   pl.col("backtranslation").null_count().alias("missing_bt"),
                   pl.col("original_text").first().alias("original")))
    if reference_free:
        return groups.select("article_id", "align_group", pl.col("original").alias("src"),
                             pl.col("variant").alias("mt"), pl.lit("").alias("ref"))
    return groups.filter(pl.col("missing_bt") == 0).select(
        "article_id", "align_group", pl.col("variant").alias("src"), pl.col("bt").alias("mt"),
        pl.col("original").alias("ref"))


def apply_comet(segments: pl.DataFrame, articles: pl.DataFrame, scores: pl.DataFrame, flag_cfg: FlagConfig,
                gate_cfg: GateConfig) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Put COMET scores on their groups' rows, add ``garbled`` where a back-translated group scores
    below ``garbled_max_comet`` (never clearing ``untranslated``), and re-decide the verdicts.
    ``scores``: article_id, align_group, comet."""
    from .gate import judge_article

    if scores.height == 0:
        return segments, articles
    merged = segments.drop("comet").join(scores, on=["article_id", "align_group"], how="left")
    # like the chrF check, on the group's first row only, so a group counts once against the gate
    first = pl.col("seg_id") == pl.col("seg_id").min().over("article_id", "align_group")
    low = (pl.col("comet") < flag_cfg.garbled_max_comet) & ~pl.col("flags").list.contains("garbled") & \
        pl.col("text").is_not_null() & (pl.col("alignment") != "boilerplate") & first
    reason = pl.format("COMET {} against the original (< {}): the back-translation does not say what the original "
                       "says", pl.col("comet").round(3), pl.lit(flag_cfg.garbled_max_comet))
    merged = merged.with_columns(
        pl.when(low).then(pl.col("flags").list.concat(pl.lit(["garbled"]))).otherwise(pl.col("flags")).alias("flags"),
        pl.when(low).then(pl.col("reasons").list.concat(pl.concat_list(reason))).otherwise(pl.col("reasons"))
        .alias("reasons"),
    ).select(list(SEGMENTS_SCHEMA))
    row_flags = dict(merged.group_by("article_id").agg(pl.col("flags")).iter_rows())
    means = scores.group_by("article_id").agg(pl.col("comet").mean().round(4).alias("comet_mean"))
    arts = articles.join(means, on="article_id", how="left").with_columns(pl.col("comet_mean").alias("comet"))
    rows = []
    for art in arts.drop("comet_mean").iter_rows(named=True):
        art["flag_counts"], art["verdict"], art["reasons"] = judge_article(
            art["role"], row_flags.get(art["article_id"], []), art["n_body"], gate_cfg)
        rows.append(art)
    return merged, pl.DataFrame(rows, schema=ARTICLES_SCHEMA, orient="row")
