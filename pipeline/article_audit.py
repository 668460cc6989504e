"""Audit one article: align it with its original, score the aligned groups, flag every segment.

Input and output are plain dicts: the article's segments in order, its original's segments, and
optionally back-translations; out come rows of ``segments.parquet`` and a row of
``articles.parquet`` (docs/output.md).
"""

from __future__ import annotations

from .align import align_segments
from .config import AlignConfig, FlagConfig, GateConfig
from .flags import ArticleContext, flag_row
from .gate import judge_article
from .score import LexicalScorer, Scores


def _base_row(article: dict, seg: dict | None) -> dict:
    return {
        "article_id": article["article_id"], "doc_path": article["doc_path"],
        "original_path": article.get("original_path"), "original_article_id": article.get("original_article_id"),
        "role": article["role"],
        "seg_id": seg["seg_id"] if seg else None, "block": seg["block"] if seg else None,
        "boilerplate_reason": seg.get("boilerplate_reason") if seg else None,
        "text": seg["text"] if seg else None, "lang": seg.get("lang") if seg else None,
        "lang_confidence": seg.get("lang_confidence") if seg else None,
        "spans": list(seg.get("spans") or []) if seg else [],
        "align_group": None, "alignment": "original" if article["role"] == "original" else "unpaired",
        "original_seg_ids": [], "original_text": None, "align_score": None, "backtranslation": None,
        "bleu": None, "chrf": None, "ter": None, "comet": None, "flags": [], "reasons": [],
    }


def audit_article(article: dict, segments: list[dict], original_segments: list[dict] | None,
                  glossary: tuple[str, ...], align_cfg: AlignConfig, flag_cfg: FlagConfig,
                  scorer: LexicalScorer, original_lang: str | None = None,
                  backtranslations: dict[str, str] | None = None) -> list[dict]:
    """Rows of segments.parquet for one article (``segments`` in seg_id order), with two private
    keys for ``summarize_article``: ``lex_stats`` (sacrebleu statistics of the group, on its first
    row) and ``boilerplate_reason``; the contract's columns are those of ``stages.SEGMENTS_SCHEMA``."""
    rows = [_base_row(article, s) for s in segments]
    paired = article["role"] == "variant" and original_segments is not None
    same_language = paired and (original_lang or article["lang"]) == article["lang"]
    bt = backtranslations or {}
    comparable = same_language or (paired and bool(bt))
    if paired:
        rows = _aligned_rows(article, rows, original_segments or [], same_language, bt, align_cfg, scorer)
    elif bt and article["role"] == "variant":
        for row in rows:  # no original to score against, but the reader still sees what it says
            row["backtranslation"] = bt.get(row["text"]) if row["block"] != "boilerplate" else None
    ctx = ArticleContext(article["role"], article["lang"], comparable, glossary)
    for row in rows:
        for flag, reason in flag_row(row, ctx, flag_cfg):
            if flag not in row["flags"]:
                row["flags"].append(flag)
                row["reasons"].append(reason)
    return rows


def _aligned_rows(article: dict, rows: list[dict], original_segments: list[dict], same_language: bool,
                  bt: dict[str, str], cfg: AlignConfig, scorer: LexicalScorer) -> list[dict]:
    """Align every segment, boilerplate included — both sides' chrome labels need not agree (an
    English page's footer recurs, its Swedish edition's is mirrored) — but only body segments
    are scored, and only body segments of the original can be omitted."""
    compare = [bt.get(r["text"]) or r["text"] for r in rows] if bt else None
    groups = align_segments([r["text"] for r in rows], [s["text"] for s in original_segments], same_language, cfg,
                            variant_compare=compare)
    omissions: dict[int, list[dict]] = {}  # omission rows, keyed by the seg_id they follow
    last_seg = -1
    for g_idx, g in enumerate(groups):
        originals = [original_segments[j] for j in g.original]
        orig_body = [o for o in originals if o["block"] != "boilerplate"]
        orig_text = " ".join(o["text"] for o in originals) or None
        orig_ids = [o["seg_id"] for o in originals]
        if not g.variant:
            if orig_body:
                row = _base_row(article, None)
                row.update(block=orig_body[0]["block"], align_group=g_idx, alignment="omission",
                           original_seg_ids=orig_ids, original_text=orig_text)
                omissions.setdefault(last_seg, []).append(row)
            continue
        members = [rows[i] for i in g.variant]
        last_seg = members[-1]["seg_id"]
        if all(m["block"] == "boilerplate" for m in members):
            for m in members:
                m.update(alignment="boilerplate", original_seg_ids=orig_ids, original_text=orig_text)
            continue
        kind = g.kind if orig_body or not originals else "addition"
        group_text = " ".join(m["text"] for m in members)
        compare_text = " ".join(bt.get(m["text"]) or m["text"] for m in members) if bt else group_text
        scores, stats = Scores(), None
        if orig_text and orig_body and (same_language or bt):
            stats = scorer.stats(compare_text, orig_text)
            scores = scorer.segment(stats)
        for k, m in enumerate(members):
            m.update(align_group=g_idx, alignment=kind if m["block"] != "boilerplate" else "boilerplate",
                     original_seg_ids=orig_ids, original_text=orig_text,
                     align_score=g.score, backtranslation=bt.get(m["text"]) if bt else None,
                     bleu=scores.bleu, chrf=scores.chrf, ter=scores.ter,
                     first_in_group=k == 0, lex_stats=stats if k == 0 else None, group_text=group_text,
                     group_original_text=orig_text if orig_body else None,
                     group_compare_text=compare_text)
    out: list[dict] = list(omissions.get(-1, []))
    for r in rows:
        out.append(r)
        out.extend(omissions.get(r["seg_id"], []))
    return out


def summarize_article(article: dict, rows: list[dict], scorer: LexicalScorer, gate_cfg: GateConfig) -> dict:
    """The row of articles.parquet for one audited article."""
    n_segments = sum(1 for r in rows if r["seg_id"] is not None)
    n_body = sum(1 for r in rows if r["seg_id"] is not None and r["block"] != "boilerplate")
    scores = scorer.corpus([r["lex_stats"] for r in rows if r.get("lex_stats") is not None])
    flag_counts, verdict, reasons = judge_article(article["role"], (r["flags"] for r in rows), n_body, gate_cfg)
    title = next((r["text"] for r in rows if r["block"] == "title" and r["text"]), None)
    return {
        "article_id": article["article_id"], "doc_path": article["doc_path"],
        "original_path": article.get("original_path"), "original_article_id": article.get("original_article_id"),
        "role": article["role"], "title": title, "lang": article["lang"],
        "n_segments": n_segments, "n_body": n_body,
        "bleu": scores.bleu, "chrf": scores.chrf, "ter": scores.ter,
        "comet": None,  # the COMET stage runs corpus-wide after this (stages.apply_comet)
        "flag_counts": flag_counts, "verdict": verdict, "reasons": reasons,
    }
