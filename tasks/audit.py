"""The Luigi DAG of an audit. Tasks only wire pipeline stages to targets and configuration.

    ExtractShard ─> IdentifyLanguageShard ─┬─> StructureCorpus ─> PairArticles ─┐
                                           └────────────────────────────────────┴─> AuditShard ─> ReportShard
                                                                                                    └─> AuditCorpus

Per-document stages run over shards of documents (Luigi's scheduling cost grows with the square
of the task count); corpus-wide stages (boilerplate statistics, pairing) run once. Every work file
is named by a digest of its inputs and settings, so a re-run with nothing changed finds every
target complete, and a changed document re-runs its shard, the corpus-wide stages and the shards
whose articles or originals it touches.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import luigi
import polars as pl

from pipeline import __version__
from pipeline.discover import text_digest
from pipeline.report import render_article, render_index
from pipeline.stages import (
    SourceFile,
    audit_articles,
    extract_documents,
    identify_languages,
    pair_corpus,
    structure_corpus,
)

from . import config as cfg
from .snapshot import Snapshot
from .status import model_stage_status, tool_signature
from .targets import atomic_write_text, write_json, write_parquet

_SNAPSHOTS: dict[str, Snapshot] = {}


def snapshot(corpus: str) -> Snapshot:
    """The corpus as this process sees it (memoized; ``forget_snapshots`` starts afresh)."""
    if corpus not in _SNAPSHOTS:
        configs = cfg.all_configs()
        configs["shard_docs"] = cfg.tqa().shard_docs
        _SNAPSHOTS[corpus] = Snapshot(Path(corpus), configs)
    return _SNAPSHOTS[corpus]


def forget_snapshots() -> None:
    """Start afresh: rescan corpora and re-read luigi.cfg (Luigi caches Config instances)."""
    _SNAPSHOTS.clear()
    luigi.task_register.Register.clear_instance_cache()


class TqaTask(luigi.Task):
    corpus = luigi.Parameter(description="corpus folder")
    out = luigi.Parameter(description="report folder")

    @property
    def snap(self) -> Snapshot:
        return snapshot(self.corpus)

    @property
    def work(self) -> Path:
        return Path(cfg.tqa().work_dir or Path(self.out) / ".tqa")

    def target(self, stage: str, name: str) -> luigi.LocalTarget:
        return luigi.LocalTarget(str(self.work / stage / name))

    def check_digest(self, expected: str) -> None:
        if expected != getattr(self, "digest", expected):
            raise RuntimeError(f"the corpus {self.corpus} changed while it was being audited; run the audit again")


class ExtractShard(TqaTask):
    """Decode, extract blocks, segment sentences for one shard of documents."""

    shard = luigi.IntParameter()
    digest = luigi.Parameter()

    def output(self):  # noqa: ANN201
        return {"segments": self.target("extract", f"{self.shard:04d}-{self.digest}.parquet"),
                "problems": self.target("extract", f"{self.shard:04d}-{self.digest}.problems.json")}

    def run(self) -> None:
        snap = self.snap
        self.check_digest(snap.extract_digests.get(self.shard, ""))
        files = [SourceFile(d, (snap.root / d.path).read_bytes(), snap.lang_hint(d.path))
                 for d in snap.shards[self.shard]]
        segments, problems = extract_documents(files, snap.configs["extract"])
        write_json(self.output()["problems"], [p.as_dict() for p in problems])
        write_parquet(self.output()["segments"], segments)


class IdentifyLanguageShard(TqaTask):
    """Language of every segment of a shard, and spans of mixed segments."""

    shard = luigi.IntParameter()
    digest = luigi.Parameter()

    def requires(self):  # noqa: ANN201
        return ExtractShard(self.corpus, self.out, self.shard, self.snap.extract_digests[self.shard])

    def output(self):  # noqa: ANN201
        return self.target("langid", f"{self.shard:04d}-{self.digest}.parquet")

    def run(self) -> None:
        segments = pl.read_parquet(self.input()["segments"].path)
        write_parquet(self.output(), identify_languages(segments, self.snap.configs["langid"]))


def _langid_tasks(task: TqaTask, shards=None) -> list[IdentifyLanguageShard]:  # noqa: ANN001
    digests = task.snap.langid_digests
    return [IdentifyLanguageShard(task.corpus, task.out, s, digests[s]) for s in (shards or digests)]


class StructureCorpus(TqaTask):
    """Boilerplate labels, article boundaries and expected languages, corpus-wide."""

    digest = luigi.Parameter()

    def requires(self):  # noqa: ANN201
        return _langid_tasks(self)

    def output(self):  # noqa: ANN201
        return {"structure": self.target("structure", f"{self.digest}.parquet"),
                "articles": self.target("structure", f"{self.digest}.articles.parquet")}

    def run(self) -> None:
        snap = self.snap
        columns = ["doc_path", "block_idx", "kind", "new_section", "chrome", "sent_idx", "text", "lang",
                   "lang_confidence"]
        segments = pl.concat([pl.read_parquet(t.path, columns=columns) for t in self.input()])
        structure, articles = structure_corpus(
            segments, {p: e.lang for p, e in snap.manifest.items()}, snap.configs["source_lang"],
            snap.configs["boilerplate"], snap.configs["pair"])
        write_parquet(self.output()["articles"], articles)
        write_parquet(self.output()["structure"], structure)


class PairArticles(TqaTask):
    """Role of every article and its original article."""

    digest = luigi.Parameter()

    def requires(self):  # noqa: ANN201
        return {"structure": StructureCorpus(self.corpus, self.out, self.snap.structure_digest),
                "langid": _langid_tasks(self)}

    def output(self):  # noqa: ANN201
        return self.target("pair", f"{self.digest}.parquet")

    def run(self) -> None:
        snap = self.snap
        structure = pl.read_parquet(self.input()["structure"]["structure"].path)
        texts = pl.concat([pl.read_parquet(t.path, columns=["doc_path", "block_idx", "sent_idx", "text"])
                           for t in self.input()["langid"]])
        segments = structure.join(texts, on=["doc_path", "block_idx", "sent_idx"])
        articles = pl.read_parquet(self.input()["structure"]["articles"].path)
        paired = pair_corpus(articles, segments,
                             {p: e.original for p, e in snap.manifest.items()},
                             {p: e.role for p, e in snap.manifest.items()}, snap.configs["pair"])
        write_parquet(self.output(), paired)


class AuditShard(TqaTask):
    """Align, score and flag the articles of one shard."""

    shard = luigi.IntParameter()
    digest = luigi.Parameter()
    original_shards = luigi.ListParameter(default=())

    def requires(self):  # noqa: ANN201
        snap = self.snap
        return {"langid": _langid_tasks(self, sorted({self.shard, *self.original_shards})),
                "structure": StructureCorpus(self.corpus, self.out, snap.structure_digest),
                "pair": PairArticles(self.corpus, self.out, snap.pair_digest)}

    def output(self):  # noqa: ANN201
        return {"segments": self.target("audit", f"{self.shard:04d}-{self.digest}.parquet"),
                "articles": self.target("audit", f"{self.shard:04d}-{self.digest}.articles.parquet")}

    def run(self) -> None:
        snap = self.snap
        docs = {d.path for d in snap.shards[self.shard]}
        pairs = pl.read_parquet(self.input()["pair"].path)
        mine = pairs.filter(pl.col("doc_path").is_in(list(docs)))
        originals = pairs.select(pl.col("article_id").alias("original_article_id"),
                                 pl.col("lang").alias("original_lang"))
        mine = mine.join(originals, on="original_article_id", how="left")
        wanted = set(mine["article_id"].to_list()) | set(mine["original_article_id"].drop_nulls().to_list())
        structure = pl.read_parquet(self.input()["structure"]["structure"].path).filter(
            pl.col("article_id").is_in(list(wanted)))
        langs = pl.concat([pl.read_parquet(t.path, columns=["doc_path", "block_idx", "sent_idx", "text", "lang",
                                                              "lang_confidence", "spans"])
                           for t in self.input()["langid"]])
        segments = structure.join(langs, on=["doc_path", "block_idx", "sent_idx"])
        c = snap.configs
        seg_rows, art_rows = audit_articles(mine, segments, snap.glossary, c["align"], c["flags"], c["gate"])
        write_parquet(self.output()["articles"], art_rows)
        write_parquet(self.output()["segments"], seg_rows)


class ReportShard(TqaTask):
    """HTML pages of the articles of one shard."""

    shard = luigi.IntParameter()
    digest = luigi.Parameter()
    original_shards = luigi.ListParameter(default=())

    def requires(self):  # noqa: ANN201
        return AuditShard(self.corpus, self.out, self.shard, self.digest, self.original_shards)

    def output(self):  # noqa: ANN201
        return self.target("report", f"{self.shard:04d}-{self.digest}.json")

    def run(self) -> None:
        segments = pl.read_parquet(self.input()["segments"].path)
        articles = pl.read_parquet(self.input()["articles"].path)
        run = run_context(self.snap)
        pages = []
        by_article = {k[0]: g for k, g in segments.group_by("article_id", maintain_order=True)}
        for art in articles.iter_rows(named=True):
            rows = by_article[art["article_id"]].to_dicts() if art["article_id"] in by_article else []
            path = Path(self.out) / "articles" / f"{art['article_id']}.html"
            atomic_write_text(path, render_article(art, rows, run))
            pages.append(path.name)
        write_json(self.output(), pages)


def run_context(snap: Snapshot) -> dict:
    return {"tool": {"version": __version__, "signature": tool_signature(snap)}, "corpus": str(snap.root),
            "stages": stage_statuses(snap), "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}


def stage_statuses(snap: Snapshot) -> dict[str, str]:
    ran = {s: "ran" for s in ("extract", "segment", "langid", "boilerplate", "pair", "align", "score", "flags")}
    return {**ran, **model_stage_status(snap)}


class AuditCorpus(TqaTask):
    """The whole audit: segments.parquet, articles.parquet, summary.json, index.html and article pages."""

    def requires(self):  # noqa: ANN201
        return PairArticles(self.corpus, self.out, self.snap.pair_digest)

    def output(self):  # noqa: ANN201
        out = Path(self.out)
        return {"summary": luigi.LocalTarget(str(out / "summary.json")),
                "segments": luigi.LocalTarget(str(out / "segments.parquet")),
                "articles": luigi.LocalTarget(str(out / "articles.parquet")),
                "index": luigi.LocalTarget(str(out / "index.html"))}

    def complete(self) -> bool:
        outputs = self.output()
        if not all(t.exists() for t in outputs.values()):
            return False
        try:
            summary = json.loads(Path(outputs["summary"].path).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return False
        return summary.get("run", {}).get("digest") == self.snap.run_digest

    def shard_tasks(self) -> list[ReportShard]:
        """One ReportShard per shard, named by a digest of exactly what its articles depend on."""
        snap = self.snap
        pairs = pl.read_parquet(self.input().path)
        structure = pl.read_parquet(StructureCorpus(self.corpus, self.out, snap.structure_digest)
                                    .output()["structure"].path)
        shard_of_doc = {d.path: s for s, docs in snap.shards.items() for d in docs}
        doc_state = {d: text_digest(*map(str, rows)) for (d,), rows in
                     ((k, g.select("article_id", "seg_id", "block", "boilerplate_reason").rows()) for k, g in
                      structure.group_by("doc_path", maintain_order=True))}
        art_state: dict[str, list[str]] = {}
        originals: dict[int, set[str]] = {}
        for row in pairs.iter_rows(named=True):
            s = shard_of_doc[row["doc_path"]]
            art_state.setdefault(row["doc_path"], []).append("|".join(map(str, row.values())))
            if row["original_path"]:
                originals.setdefault(s, set()).add(row["original_path"])
        tasks = []
        for s, docs in snap.shards.items():
            orig_docs = sorted(originals.get(s, set()))
            orig_shards = sorted({shard_of_doc[o] for o in orig_docs} - {s})
            digest = text_digest("audit", snap.langid_digests[s], *(snap.langid_digests[o] for o in orig_shards),
                                 *(doc_state.get(d.path, "") for d in docs), *(doc_state.get(o, "") for o in orig_docs),
                                 *("\n".join(art_state.get(p, [])) for p in [d.path for d in docs] + orig_docs),
                                 *snap.glossary, snap.cfg("align", "flags", "gate"), tool_signature(snap))
            tasks.append(ReportShard(self.corpus, self.out, s, digest, orig_shards))
        return tasks

    def run(self):  # noqa: ANN201
        snap = self.snap
        reports = self.shard_tasks()
        yield reports  # dynamic dependencies: the shard digests need the pairing first
        audits = [r.requires().output() for r in reports]
        segments = pl.concat([pl.read_parquet(a["segments"].path) for a in audits], how="vertical")
        articles = pl.concat([pl.read_parquet(a["articles"].path) for a in audits], how="vertical")
        problems = [p.as_dict() for p in snap.problems]
        for s, digest in snap.extract_digests.items():
            problems += json.loads(Path(ExtractShard(self.corpus, self.out, s, digest).output()["problems"].path)
                                   .read_text(encoding="utf-8"))
        summary = build_summary(snap, articles, problems)
        out = self.output()
        write_parquet(out["segments"], segments)
        write_parquet(out["articles"], articles)
        atomic_write_text(Path(out["index"].path), render_index(summary, articles.to_dicts()))
        write_json(out["summary"], summary)  # last: its digest marks the run complete
        remove_stale_work(self, reports)


def build_summary(snap: Snapshot, articles: pl.DataFrame, problems: list[dict]) -> dict:
    from pipeline.gate import run_verdict

    context = run_context(snap)
    arts = [{"article_id": a["article_id"], "doc_path": a["doc_path"], "original_path": a["original_path"],
             "lang": a["lang"], "role": a["role"], "title": a["title"],
             "scores": {k: a[k] for k in ("bleu", "chrf", "ter", "comet")},
             "flag_counts": a["flag_counts"], "verdict": a["verdict"], "reasons": a["reasons"]}
            for a in articles.sort("verdict", "article_id").iter_rows(named=True)]
    return {"contract": 1, "tool": context["tool"], "corpus": str(snap.root), "generated": context["generated"],
            "stages": context["stages"], "articles": arts, "errors": problems,
            "verdict": run_verdict([a["verdict"] for a in arts], problems, snap.configs["gate"]),
            "run": {"digest": snap.run_digest, "documents": len(snap.documents), "shards": len(snap.shards),
                    "manifest": snap.has_manifest}}


def remove_stale_work(task: TqaTask, reports: list[ReportShard]) -> None:
    """Delete work files and article pages that no longer belong to the current corpus."""
    keep: set[str] = set()
    for r in reports:
        for t in luigi.task.flatten([r.output(), r.requires().output()]):
            keep.add(str(Path(t.path)))
    for t in luigi.task.flatten([task.requires().output(), task.requires().requires()["structure"].output()]):
        keep.add(str(Path(t.path)))
    for s, digest in task.snap.langid_digests.items():
        lt = IdentifyLanguageShard(task.corpus, task.out, s, digest)
        keep |= {str(Path(t.path)) for t in luigi.task.flatten([lt.output(), lt.requires().output()])}
    pages: set[str] = set()
    for r in reports:
        pages |= set(json.loads(Path(r.output().path).read_text(encoding="utf-8")))
    for stage in ("extract", "langid", "structure", "pair", "audit", "report"):
        folder = task.work / stage
        for p in folder.glob("*") if folder.is_dir() else ():
            if str(p) not in keep:
                p.unlink(missing_ok=True)
    article_dir = Path(task.out) / "articles"
    for p in article_dir.glob("*.html") if article_dir.is_dir() else ():
        if p.name not in pages:
            p.unlink(missing_ok=True)
