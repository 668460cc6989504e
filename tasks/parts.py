"""Shard work spread over the cores: a task deals its shard out into parts, the process pool runs one
part per process, and the task only joins what comes back and writes its target.

Each part function below reads its own inputs (corpus or work files: paths travel to the pool, not
frames or rows), runs one pipeline stage over its part and returns frames — or, for pages, writes
them. The task process so stays free while the pool works, and reading, auditing and building the
output frames all run on every core.

The pool's processes come from a fork server (a clean process), never forked from the Luigi
worker: polars, used there, can deadlock in a child forked after it ran. The pool lives as long as
the worker process and is reused by every task it runs. Inside a task process of a multi-worker
run (``--workers N``) the workers already use the cores, and parts run in-process, one by one.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import polars as pl

from pipeline.audit import score_articles
from pipeline.config import AlignConfig, ExtractConfig, GateConfig, LangIdConfig
from pipeline.detectors import FLAGS, FlagsConfig
from pipeline.discover import Document, InputProblem, read_document
from pipeline.errors import InputError
from pipeline.extract import SourceFile, extract_documents, time_limit
from pipeline.frames import frame_dicts
from pipeline.judge import article_summaries, judge_articles, judge_segments, parsed_evidence
from pipeline.langid import survey_documents
from pipeline.resources import ResourcesConfig, scoring_resources
from pipeline.report import render_article
from pipeline.waivers import read_waivers, today


T = TypeVar("T")
R = TypeVar("R")

_POOL: list = []


def run_parts(fn: Callable[[T], R], parts: Sequence[T]) -> list[R]:
    """``[fn(p) for p in parts]``, on the process pool when there is more than one part."""
    if len(parts) <= 1 or pool_size() <= 1:
        return [fn(p) for p in parts]
    if not _POOL:
        from concurrent.futures import ProcessPoolExecutor

        _POOL.append(ProcessPoolExecutor(max_workers=pool_size(), mp_context=mp.get_context("forkserver")))
    return list(_POOL[0].map(fn, parts))


def pool_size() -> int:
    """``[tqa] processes`` (0: one per core); 1 inside the task process of a multi-worker run."""
    from . import config as cfg

    if mp.current_process().name != "MainProcess":
        return 1
    return cfg.tqa().processes or (os.cpu_count() or 1)  # type: ignore[attr-defined]


def deal(weights: Sequence[int], parts: int) -> list[list[int]]:
    """Indices ``0..len(weights)`` dealt into at most ``parts`` non-empty lists of about equal total
    weight: each index, in order, to the lightest list so far. Neighbours are usually alike (a
    shard's originals, then its variants), so dealing them out balances the parts even where a
    weight misjudges their cost, which a contiguous cut does not (measured on the benchmark: the
    scoring parts of a shard differed by a fifth). Each list is in ascending order."""
    n = max(1, min(parts, len(weights)))
    out: list[list[int]] = [[] for _ in range(n)]
    load = [0] * n
    for i, w in enumerate(weights):
        k = min(range(n), key=load.__getitem__)
        out[k].append(i)
        load[k] += max(1, w)
    return [ix for ix in out if ix]


def in_order(frames: Sequence[pl.DataFrame], key: str, order: Sequence[str]) -> pl.DataFrame:
    """The parts' frames joined and put back in ``order`` (of column ``key``'s values; a stable sort,
    so rows of one key keep their order)."""
    rank = {k: i for i, k in enumerate(order)}
    joined = pl.concat(frames)
    return (joined.with_columns(pl.col(key).replace_strict(rank, default=len(rank), return_dtype=pl.Int64)
                                .alias("_rank"))
            .sort("_rank", maintain_order=True).drop("_rank"))


# --------------------------------------------------------------------------- extraction


@dataclass(frozen=True)
class ExtractPart:
    root: str
    documents: tuple[Document, ...]
    lang_hints: tuple[str, ...]
    cfg: ExtractConfig
    langid: LangIdConfig


def extract_part(part: ExtractPart) -> tuple[pl.DataFrame, list[InputProblem], dict[str, list[list]]]:
    """Extract the part's documents one by one, each read safely and within ``[extract] max_seconds``;
    and the language survey's votes of each."""
    root = Path(part.root)
    frames: list[pl.DataFrame] = []
    problems: list[InputProblem] = []
    for doc, hint in zip(part.documents, part.lang_hints, strict=True):
        try:
            with time_limit(part.cfg.max_seconds):
                frame, found = extract_documents([SourceFile(doc, read_document(root, doc, part.cfg), hint)], part.cfg)
        except InputError as exc:  # unreadable, changed, or out of time
            problems.append(InputProblem(doc.path, str(exc)))
            continue
        frames.append(frame)
        problems += found
    frame = pl.concat(frames) if frames else extract_documents([], part.cfg)[0]
    return frame, problems, survey_documents(frame, part.langid)


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class ScorePart:
    pairs: str  # PairArticles' table
    structure: str  # StructureCorpus' segment table
    langid: tuple[str, ...]  # the language tables of the shard and of its originals' shards
    backtranslations: str
    documents: tuple[str, ...]  # the shard's documents
    glossary: tuple[str, ...]
    source_lang: str
    align: AlignConfig
    resources: ResourcesConfig
    languages: tuple[str, ...]  # the corpus's languages (a lexicon is loaded for each that has one)
    learned: str  # LearnFromCorpus' pickle: lexicons with the corpus's words, word-order models
    part: int
    parts: int


def score_part(p: ScorePart) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Scored segment and article rows of part ``p.part`` of the shard's pages (dealt by their cost)."""
    pairs = pl.read_parquet(p.pairs)
    mine = pairs.filter(pl.col("doc_path").is_in(list(p.documents))).join(
        pairs.select(pl.col("article_id").alias("original_article_id"), pl.col("lang").alias("original_lang")),
        on="original_article_id", how="left")
    structure = pl.read_parquet(p.structure, columns=["doc_path", "block_idx", "sent_idx", "article_id", "seg_id",
                                                      "block", "boilerplate_reason"])
    sizes = dict(structure.group_by("article_id").len().iter_rows())
    # the cost of an article: its segments, and for a paired variant the alignment with its original
    # dealt by page: the articles of a page that pair with one original article are aligned together
    cost: dict[str, int] = defaultdict(int)
    for doc, a, o in mine.select("doc_path", "article_id", "original_article_id").iter_rows():
        cost[doc] += sizes.get(a, 0) + (sizes.get(a, 0) + sizes.get(o, 0) if o else 0)
    docs = list(cost)
    dealt = deal(list(cost.values()), p.parts)
    if p.part >= len(dealt):
        return score_articles(mine.clear(), structure.clear(), p.glossary, p.source_lang, p.align)
    mine = mine.filter(pl.col("doc_path").is_in([docs[i] for i in dealt[p.part]]))
    wanted = pl.concat([mine["article_id"], mine["original_article_id"].drop_nulls()])
    structure = structure.filter(pl.col("article_id").is_in(wanted.implode()))
    langs = pl.read_parquet(list(p.langid), columns=["doc_path", "block_idx", "sent_idx", "text", "lang",
                                                     "lang_confidence", "spans"])
    segments = structure.join(langs, on=["doc_path", "block_idx", "sent_idx"])
    bt = pl.read_parquet(p.backtranslations).filter(pl.col("text").is_in(segments["text"].implode()))
    return score_articles(mine, segments, p.glossary, p.source_lang, p.align,
                          backtranslations={(lang, t): e for lang, t, e in bt.iter_rows()} or None,
                          resources=scoring_resources(p.resources, p.languages, p.source_lang, p.learned))


# --------------------------------------------------------------------------- judging


@dataclass(frozen=True)
class JudgePart:
    segments: str  # a score shard's tables
    articles: str
    comet: str  # the corpus's COMET scores
    out_segments: str  # the shard's final tables
    out_articles: str
    flags: FlagsConfig
    gate: GateConfig
    skipped_required: tuple[str, ...]
    pairs: dict[str, str]  # article id -> language pair, corpus-wide
    calibration: dict


def judge_part(p: JudgePart) -> None:
    """Judge one shard and write its final tables."""
    from .targets import write_parquet_path

    articles = pl.read_parquet(p.articles)
    comet = pl.read_parquet(p.comet)
    comet = comet.filter(pl.col("article_id").is_in(articles["article_id"].implode()))
    waivers = read_waivers(p.gate.waivers, today(), FLAGS)
    scored = pl.read_parquet(p.segments)
    parsed = parsed_evidence(scored)
    summaries = article_summaries(scored, p.flags, parsed)
    segments = judge_segments(scored, p.flags, p.pairs, p.calibration, comet, summaries, waivers, parsed)
    write_parquet_path(Path(p.out_articles), judge_articles(articles, segments, p.gate, p.skipped_required, comet,
                                                            summaries, p.flags))
    write_parquet_path(Path(p.out_segments), segments)


# --------------------------------------------------------------------------- pages
@dataclass(frozen=True)
class ReportPart:
    segments: str  # the shard's final segment table
    articles: str  # the shard's final article table
    out: str  # the folder the shard's pages go to (new, and published whole by the task: files written plainly)
    run: dict  # run context of every page (tool, corpus, stages, models, generated)
    part: int
    parts: int
    nav: dict | None = None  # article id -> pipeline.report.Nav (previous/next article links)


def report_part(p: ReportPart) -> list[str]:
    """Write the pages of part ``p.part`` of the shard's articles; returns their file names."""
    articles = pl.read_parquet(p.articles)
    dealt = deal(articles["n_segments"].fill_null(0).to_list(), p.parts)
    if p.part >= len(dealt):
        return []
    articles = articles[dealt[p.part]]
    segments = pl.read_parquet(p.segments).filter(pl.col("article_id").is_in(articles["article_id"].implode()))
    by_article: dict[str, list[dict]] = defaultdict(list)
    for row in frame_dicts(segments):
        by_article[row["article_id"]].append(row)
    names = []
    for art in articles.iter_rows(named=True):
        path = Path(p.out) / f"{art['article_id']}.html"
        path.write_text(render_article(art, by_article[art["article_id"]], p.run, (p.nav or {}).get(art["article_id"])),
                        encoding="utf-8")
        names.append(path.name)
    return names
