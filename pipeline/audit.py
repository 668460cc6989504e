"""Score one article: align it with its original into typed groups, and let every detector score them.

Nothing is decided here — no threshold is applied. Out come the rows of ``segments.parquet``
without flags (each with the detectors' evidence, as JSON) and the article's scores; the judge
(``pipeline.judge``) decides flags and verdicts for the whole corpus at once, so a threshold change
re-runs only the judge.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from .align import Layout, align_segments
from .config import AlignConfig
from .detectors import DETECTORS
from .frames import SCORED_ARTICLES_SCHEMA, SCORED_SCHEMA, rows_frame
from .groups import AlignedGroup, ArticleContext, ScoringResources, Segment, Span
from .score import LexicalScorer, Scores
from .text import fold


def segment_from_row(row: Mapping[str, Any], backtranslations: Mapping[str, str] | None = None) -> Segment:
    bt = (backtranslations or {}).get(row["text"]) if row["block"] != "boilerplate" else None
    return Segment(row["seg_id"], row["block"], row["text"], row.get("lang"), row.get("lang_confidence"),
                   tuple(Span(s["start"], s["end"], s["lang"]) for s in row.get("spans") or ()),
                   row.get("boilerplate_reason"), bt, row.get("block_idx"))


def fingerprint(doc_path: str, text: str | None, original_text: str | None = None) -> str:
    """A segment's identity for waivers: its document and its (folded) text — stable when other files
    change or the segment moves within its page."""
    h = hashlib.blake2b(digest_size=8)
    for part in (doc_path, fold(text or ""), fold(original_text or "") if text is None else ""):
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


def build_groups(ctx: ArticleContext, segments: Sequence[Segment], original: Sequence[Segment] | None,
                 cfg: AlignConfig, scorer: LexicalScorer) -> list[AlignedGroup]:
    """The article's aligned groups, in order (omissions where the original segment would be)."""
    if ctx.role == "original":
        return [AlignedGroup(None, "original", (s,)) for s in segments]
    if not ctx.paired or original is None:
        return [AlignedGroup(None, "unpaired", (s,)) for s in segments]
    compare = [s.compare_text for s in segments] if ctx.backtranslated else None
    table: dict = {}
    raw = align_segments([s.text for s in segments], [s.text for s in original], ctx.same_language, cfg,
                         variant_compare=compare, lexicon=ctx.lexicon, table_out=table,
                         layout=(_layout(segments), _layout(original)))
    one = table.get("1:1")
    groups: list[AlignedGroup] = []
    for index, g in enumerate(raw):
        members = tuple(segments[i] for i in g.variant)
        originals = tuple(original[j] for j in g.original)
        body_original = any(not o.is_boilerplate for o in originals)
        if not members:
            if body_original:
                groups.append(AlignedGroup(index, "omission", (), originals))
            continue
        if all(m.is_boilerplate for m in members):
            groups.append(AlignedGroup(index, "boilerplate", members, originals, g.score))
            continue
        stats, scores = None, Scores()
        if originals and (ctx.comparable):
            stats = scorer.stats(" ".join(m.compare_text for m in members), " ".join(o.text for o in originals))
            scores = scorer.segment(stats)
        alternative = None
        if one is not None and g.kind == "1:1":
            row = one[g.variant[0]].copy()
            row[g.original[0]] = -1.0
            if len(row) > 1:
                j = int(row.argmax())
                alternative = (j, round(float(row[j]), 4))
        groups.append(AlignedGroup(index, g.kind, members, originals, g.score, stats, scores, alternative))
    return groups


def _layout(segments: Sequence[Segment]) -> Layout:
    return Layout([s.block_idx for s in segments], [s.is_boilerplate for s in segments])


def score_groups(groups: Sequence[AlignedGroup], ctx: ArticleContext) -> list[list[dict[str, Any]]]:
    """Each detector's evidence per row of each group: ``out[g][row] = {detector: evidence}``."""
    out: list[list[dict[str, Any]]] = [[{} for _ in range(g.n_rows)] for g in groups]
    for det in DETECTORS:
        scored = det.score_article(groups, ctx)
        if len(scored) != len(groups):
            raise ValueError(f"{det.name} scored {len(scored)} groups of {len(groups)}")
        for group, rows, evidence in zip(groups, out, scored, strict=True):
            if evidence is None:
                continue
            if len(evidence) != group.n_rows:
                raise ValueError(f"{det.name} scored {len(evidence)} rows of a group of {group.n_rows}")
            for row, ev in zip(rows, evidence, strict=True):
                if ev is not None:
                    row[det.name] = ev
    return out


def audit_article(article: Mapping[str, Any], segments: Sequence[Mapping[str, Any]],
                  original_segments: Sequence[Mapping[str, Any]] | None, glossary: tuple[str, ...],
                  source_lang: str, cfg: AlignConfig, scorer: LexicalScorer,
                  backtranslations: Mapping[str, str] | None = None,
                  resources: ScoringResources | None = None,
                  groups: list[AlignedGroup] | None = None) -> tuple[list[dict], dict]:
    """Scored rows of ``segments.parquet`` for one article (no flags yet) and its row of scores.

    ``article``: a row of the pairing table (with ``original_lang``); ``segments``: the article's
    segment rows in seg_id order (structure joined with languages); ``original_segments``: its
    original's, or None; ``backtranslations``: English text of the article's segments; ``groups``:
    its aligned groups when they are already known (:func:`sibling_groups`)."""
    ctx = _context(article, source_lang, glossary, backtranslations, resources)
    mine = [segment_from_row(s, backtranslations or {}) for s in segments]
    if groups is None:
        theirs = [segment_from_row(s) for s in original_segments] if original_segments is not None else None
        groups = build_groups(ctx, mine, theirs, cfg, scorer)
    evidence = score_groups(groups, ctx)
    rows = []
    for group, group_evidence in zip(groups, evidence, strict=True):
        rows.extend(_rows(article, group, group_evidence))
    stats = [g.stats for g in groups if g.stats is not None]
    scores = scorer.corpus(stats)
    body = [s for s in mine if not s.is_boilerplate]
    title = next((s.text for s in mine if s.block == "title"), None)
    summary = {
        "article_id": article["article_id"], "doc_path": article["doc_path"],
        "original_path": article.get("original_path"), "original_article_id": article.get("original_article_id"),
        "role": article["role"], "title": title, "lang": article["lang"], "n_segments": len(mine),
        "n_body": len(body), "bleu": scores.bleu, "chrf": scores.chrf, "ter": scores.ter, "comet": None,
        "pair_method": article.get("pair_method"), "pair_score": article.get("pair_score"),
        "pair_reason": article.get("pair_reason")}
    return rows, summary


def _context(article: Mapping[str, Any], source_lang: str, glossary: tuple[str, ...],
             backtranslations: Mapping[str, str] | None, resources: ScoringResources | None) -> ArticleContext:
    return ArticleContext(article["article_id"], article["doc_path"], article["role"], article["lang"], source_lang,
                          article.get("original_lang") if article.get("original_article_id") else None, glossary,
                          backtranslated=bool(backtranslations), resources=resources)


def sibling_groups(articles: Sequence[Mapping[str, Any]], segments: Sequence[Sequence[Mapping[str, Any]]],
                   original_segments: Sequence[Mapping[str, Any]], glossary: tuple[str, ...], source_lang: str,
                   cfg: AlignConfig, scorer: LexicalScorer, backtranslations: Sequence[Mapping[str, str] | None],
                   resources: ScoringResources | None = None) -> list[list[AlignedGroup]]:
    """The aligned groups of several articles of one page that pair with the same original article
    (the page split where its original did not): aligned together, then each group goes to the
    article its first segment is in, an omission to the article of the group before it (the first
    article's when none is). Aligned one by one, each would miss the whole of the others' text."""
    ctx = _context(articles[0], source_lang, glossary, backtranslations[0], resources)
    owner: dict[int, int] = {}
    mine: list[Segment] = []
    for k, (rows, bt) in enumerate(zip(segments, backtranslations, strict=True)):
        for row in rows:
            owner[row["seg_id"]] = k
            mine.append(segment_from_row(row, bt or {}))
    groups = build_groups(ctx, mine, [segment_from_row(s) for s in original_segments], cfg, scorer)
    out: list[list[AlignedGroup]] = [[] for _ in articles]
    current = 0
    for g in groups:
        if g.variant:
            current = owner[g.variant[0].seg_id]
        out[current].append(g)
    return out


def _rows(article: Mapping[str, Any], group: AlignedGroup, evidence: list[dict[str, Any]]) -> list[dict]:
    base = {"article_id": article["article_id"], "doc_path": article["doc_path"],
            "original_path": article.get("original_path"), "original_article_id": article.get("original_article_id"),
            "role": article["role"], "align_group": group.index,
            "alignment": group.kind, "original_seg_ids": [o.seg_id for o in group.original],
            "original_text": group.original_text, "align_score": group.similarity,
            "bleu": group.scores.bleu, "chrf": group.scores.chrf, "ter": group.scores.ter, "comet": None}
    if group.kind in ("original", "unpaired"):
        base.update(original_seg_ids=[], original_text=None)
    if not group.variant:  # an omission: the original segment(s) with no counterpart
        first = next(o for o in group.original if not o.is_boilerplate)
        return [{**base, "seg_id": None, "block": first.block, "text": None, "lang": None, "lang_confidence": None,
                 "spans": [], "backtranslation": None,
                 "fingerprint": fingerprint(article["doc_path"], None, group.original_text),
                 "evidence": json.dumps(evidence[0], ensure_ascii=False, separators=(",", ":"))}]
    out = []
    for seg, ev in zip(group.variant, evidence, strict=True):
        out.append({**base, "seg_id": seg.seg_id, "block": seg.block, "text": seg.text, "lang": seg.lang,
                    "lang_confidence": seg.confidence,
                    "spans": [{"start": s.start, "end": s.end, "lang": s.lang} for s in seg.spans],
                    "alignment": "boilerplate" if seg.is_boilerplate and group.kind not in ("original", "unpaired")
                    else group.kind,
                    "backtranslation": seg.backtranslation,
                    "fingerprint": fingerprint(article["doc_path"], seg.text),
                    "evidence": json.dumps(ev, ensure_ascii=False, separators=(",", ":"))})
    return out


_SCORER = LexicalScorer()


def score_articles(articles: pl.DataFrame, segments: pl.DataFrame, glossary: tuple[str, ...], source_lang: str,
                   cfg: AlignConfig, backtranslations: Mapping[tuple[str, str], str] | None = None,
                   resources: ScoringResources | None = None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Score the given articles (rows of the pairing table with ``original_lang``). ``segments`` holds
    their segments and their originals' (structure joined with languages); ``backtranslations`` maps
    (language, text) to English. Returns (scored segment rows, scored article rows)."""
    by_article: dict[str, list[dict]] = defaultdict(list)
    for seg in segments.sort("article_id", "seg_id").iter_rows(named=True):
        by_article[seg["article_id"]].append(seg)
    bt = backtranslations or {}
    todo = [a for a in articles.iter_rows(named=True) if a["article_id"] in by_article]
    english = {a["article_id"]: {s["text"]: bt[(a["lang"], s["text"])] for s in by_article[a["article_id"]]
                                 if (a["lang"], s["text"]) in bt} or None for a in todo}
    siblings: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for a in todo:
        if a["role"] == "variant" and a["original_article_id"] in by_article:
            siblings[(a["doc_path"], a["original_article_id"])].append(a)
    known: dict[str, list[AlignedGroup]] = {}
    for (_, original_id), arts in siblings.items():
        if len(arts) > 1:
            split = sibling_groups(arts, [by_article[a["article_id"]] for a in arts], by_article[original_id],
                                   glossary, source_lang, cfg, _SCORER, [english[a["article_id"]] for a in arts], resources)
            known.update((a["article_id"], g) for a, g in zip(arts, split, strict=True))
    seg_rows: list[dict] = []
    art_rows: list[dict] = []
    for art in todo:
        mine = by_article[art["article_id"]]
        original = by_article.get(art["original_article_id"]) if art["original_article_id"] else None
        rows, summary = audit_article(art, mine, original, glossary, source_lang, cfg, _SCORER,
                                      english[art["article_id"]], resources, known.get(art["article_id"]))
        seg_rows.extend(rows)
        art_rows.append(summary)
    return rows_frame(seg_rows, SCORED_SCHEMA), rows_frame(art_rows, SCORED_ARTICLES_SCHEMA)
