"""The Luigi DAG of an audit. Tasks only wire pipeline stages to targets and configuration.

    ExtractShard ─> IdentifyLanguageShard ─┬─> StructureCorpus ─> PairArticles ─> BackTranslate ─┐
                                           └──────────────────────────────────────────────────────┴─> AuditShard
    AuditShard (every shard) ─> CometCorpus ─> ReportShard (every shard) ─> ReportCorpus ─> AuditCorpus

Per-document stages run over shards of documents (Luigi's scheduling cost grows with the square
of the task count); corpus-wide stages (boilerplate statistics, pairing, the model stages, which batch across the
corpus) run once. Every work file
is named by a digest of its inputs and settings, so a re-run with nothing changed finds every
target complete, and a changed document re-runs its shard, the corpus-wide stages and the shards
whose articles or originals it touches.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cached_property, lru_cache
from pathlib import Path

import luigi
import polars as pl

from pipeline import __version__
from pipeline.cache import ModelCache
from pipeline.comet_score import comet_scores
from pipeline.discover import text_digest
from pipeline.models import comet_scorer_for, translator_for
from pipeline.report import render_index
from pipeline.stages import (
    BT_SCHEMA,
    apply_comet,
    backtranslate_corpus,
    backtranslation_requests,
    comet_requests,
    identify_languages,
    pair_corpus,
    structure_corpus,
)

from . import config as cfg
from .parts import AuditPart, ExtractPart, ReportPart, audit_part, cut, extract_part, pool_size, report_part, run_parts
from .snapshot import Snapshot
from .status import backtranslate_status, comet_status, tool_signature
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
    _SHARD_PLANS.clear()
    work_dir.cache_clear()
    luigi.task_register.Register.clear_instance_cache()


@lru_cache(maxsize=64)
def work_dir(out: str) -> Path:
    """Work files: ``[tqa] work_dir`` or REPORT_DIR/.tqa (cached: Luigi rebuilds a Config object
    on every call, and the scheduler asks every task for its targets many times)."""
    return Path(cfg.tqa().work_dir or Path(out) / ".tqa")


class TqaTask(luigi.Task):
    corpus = luigi.Parameter(description="corpus folder")
    out = luigi.Parameter(description="report folder")

    @property
    def snap(self) -> Snapshot:
        return snapshot(self.corpus)

    @property
    def work(self) -> Path:
        return work_dir(self.out)

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
        docs, settings = snap.shards[self.shard], snap.configs["extract"]
        parts = [docs[r.start:r.stop] for r in cut([d.size for d in docs], pool_size())] or [[]]
        results = run_parts(extract_part, [
            ExtractPart(str(snap.root), tuple(part), tuple(snap.lang_hint(d.path) for d in part), settings)
            for part in parts])
        segments = pl.concat([frame for frame, _ in results])
        problems = [problem for _, found in results for problem in found]
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


class BackTranslate(TqaTask):
    """English back-translations of the body segments of every non-English variant, corpus-wide:
    one model load per language pair, deduplicated, batched, through the persistent cache."""

    digest = luigi.Parameter()

    def requires(self):  # noqa: ANN201
        snap = self.snap
        return {"structure": StructureCorpus(self.corpus, self.out, snap.structure_digest),
                "pair": PairArticles(self.corpus, self.out, snap.pair_digest), "langid": _langid_tasks(self)}

    def output(self):  # noqa: ANN201
        return {"translations": self.target("backtranslate", f"{self.digest}.parquet"),
                "status": self.target("backtranslate", f"{self.digest}.json")}

    def run(self) -> None:
        snap = self.snap
        plan = snap.model_plan
        articles = pl.read_parquet(self.input()["pair"].path)
        segments = _segments_with_text(self.input()["structure"]["structure"].path, self.input()["langid"])
        requests = backtranslation_requests(articles, segments, snap.configs["source_lang"])
        translators = {lang: translator_for(plan.argos[lang], snap.configs["models"])
                       for lang in requests if lang in plan.argos}
        frame = pl.DataFrame(schema=BT_SCHEMA)
        if translators:
            cache = ModelCache(snap.configs["models"].cache_path)
            try:
                frame = backtranslate_corpus(requests, snap.configs["source_lang"], translators, cache)
            finally:
                cache.close()
        status = backtranslate_status(plan, requests, translators, snap.configs["source_lang"])
        write_json(self.output()["status"], status)
        write_parquet(self.output()["translations"], frame)


def _segments_with_text(structure_path: str, langid_targets) -> pl.DataFrame:  # noqa: ANN001
    texts = pl.concat([pl.read_parquet(t.path, columns=["doc_path", "block_idx", "sent_idx", "text"])
                       for t in langid_targets])
    return pl.read_parquet(structure_path).join(texts, on=["doc_path", "block_idx", "sent_idx"])


class AuditShard(TqaTask):
    """Align, score and flag the articles of one shard."""

    shard = luigi.IntParameter()
    digest = luigi.Parameter()
    original_shards = luigi.ListParameter(default=())

    def requires(self):  # noqa: ANN201
        snap = self.snap
        return {"langid": _langid_tasks(self, sorted({self.shard, *self.original_shards})),
                "structure": StructureCorpus(self.corpus, self.out, snap.structure_digest),
                "pair": PairArticles(self.corpus, self.out, snap.pair_digest),
                "backtranslate": BackTranslate(self.corpus, self.out, snap.backtranslate_digest)}

    def output(self):  # noqa: ANN201
        return {"segments": self.target("audit", f"{self.shard:04d}-{self.digest}.parquet"),
                "articles": self.target("audit", f"{self.shard:04d}-{self.digest}.articles.parquet")}

    def run(self) -> None:
        snap, inputs, c, parts = self.snap, self.input(), self.snap.configs, pool_size()
        results = run_parts(audit_part, [
            AuditPart(inputs["pair"].path, inputs["structure"]["structure"].path,
                      tuple(t.path for t in inputs["langid"]), inputs["backtranslate"]["translations"].path,
                      tuple(d.path for d in snap.shards[self.shard]), snap.glossary, c["align"], c["flags"], c["gate"],
                      part, parts) for part in range(parts)])
        write_parquet(self.output()["articles"], pl.concat([arts for _, arts in results]))
        write_parquet(self.output()["segments"], pl.concat([segs for segs, _ in results]))


class CometCorpus(TqaTask):
    """COMET over every aligned group of the corpus (one model load, corpus-wide batches, cached);
    writes the final segment and article tables."""

    digest = luigi.Parameter()

    @cached_property
    def shards(self) -> list[tuple[int, str, tuple[int, ...]]]:
        """The shard plan AuditCorpus wrote (its digest names it: read once). Read as JSON, not Parquet:
        this runs in the worker's scheduling process, and polars used there before Luigi forks a task
        process can deadlock it."""
        plan = json.loads(Path(plan_target(self, self.digest).path).read_text(encoding="utf-8"))
        return [(s, d, tuple(o)) for s, d, o in plan]

    def requires(self):  # noqa: ANN201
        return {"audits": [AuditShard(self.corpus, self.out, s, d, o) for s, d, o in self.shards],
                "backtranslate": BackTranslate(self.corpus, self.out, self.snap.backtranslate_digest)}

    def output(self):  # noqa: ANN201
        return self._outputs

    @cached_property
    def _outputs(self) -> dict:
        """Per shard, so that each ReportShard reads its own articles only (built once: every
        ReportShard asks for them)."""
        return {"status": self.target("final", f"{self.digest}.json"),
                "shards": {s: {"segments": self.target("final", f"{self.digest}-{s:04d}.parquet"),
                               "articles": self.target("final", f"{self.digest}-{s:04d}.articles.parquet")}
                           for s, _, _ in self.shards}}

    def run(self) -> None:
        snap = self.snap
        audits = self.input()["audits"]
        segments = pl.concat([pl.read_parquet(a["segments"].path) for a in audits], how="vertical")
        articles = pl.concat([pl.read_parquet(a["articles"].path) for a in audits], how="vertical")
        plan, models_cfg = snap.model_plan, snap.configs["models"]
        scores, stages = pl.DataFrame(schema={"article_id": pl.String, "align_group": pl.Int64,
                                              "comet": pl.Float64}), {}
        model = plan.comet_ref or plan.comet_qe
        if model is not None:
            items = comet_requests(segments, reference_free=model.reference_free)
            cache = ModelCache(models_cfg.cache_path)
            try:
                values = comet_scores(items.select("src", "mt", "ref").to_dicts(), comet_scorer_for(model, models_cfg),
                                      cache)
            finally:
                cache.close()
            scores = items.select("article_id", "align_group").with_columns(pl.Series("comet", values,
                                                                                        dtype=pl.Float64))
        stages["comet"] = comet_status(plan, scores.height)
        segments, articles = apply_comet(segments, articles, scores, snap.configs["flags"], snap.configs["gate"])
        bt_status = json.loads(Path(self.input()["backtranslate"]["status"].path).read_text(encoding="utf-8"))
        shard_of = pl.concat([pl.read_parquet(a["articles"].path, columns=["article_id"]).with_columns(
            pl.lit(s, dtype=pl.Int64).alias("_shard")) for (s, _, _), a in zip(self.shards, audits, strict=True)])
        seg_parts = segments.join(shard_of, on="article_id", maintain_order="left").partition_by(
            "_shard", as_dict=True, include_key=False)
        art_parts = articles.join(shard_of, on="article_id", maintain_order="left").partition_by(
            "_shard", as_dict=True, include_key=False)
        for s, _, _ in self.shards:
            out = self.output()["shards"][s]
            write_parquet(out["articles"], art_parts.get((s,), articles.clear()))
            write_parquet(out["segments"], seg_parts.get((s,), segments.clear()))
        write_json(self.output()["status"], {"stages": {**bt_status["stages"], **stages},
                                             "problems": bt_status["problems"],
                                             "models": {**bt_status["models"], "comet": model.model_id if model
                                                        else None, "comet_scores": scores.height}})


class ReportShard(TqaTask):
    """HTML pages of the articles of one shard."""

    shard = luigi.IntParameter()
    digest = luigi.Parameter()
    comet_digest = luigi.Parameter()

    def requires(self):  # noqa: ANN201
        return CometCorpus(self.corpus, self.out, self.comet_digest)

    def output(self):  # noqa: ANN201
        return self.target("report", f"{self.shard:04d}-{self.digest}.json")

    def run(self) -> None:
        final, parts = self.input(), pool_size()
        run = run_context(self.snap, json.loads(Path(final["status"].path).read_text(encoding="utf-8")))
        shard = final["shards"][self.shard]
        pages = run_parts(report_part, [ReportPart(shard["segments"].path, shard["articles"].path, self.out, run,
                                                   part, parts) for part in range(parts)])
        write_json(self.output(), [name for names in pages for name in names])


class ReportCorpus(TqaTask):
    """All article pages. AuditCorpus yields this one task rather than every ReportShard: Luigi walks
    the whole dependency tree again for each task a run yields, which is quadratic in the shards."""

    digest = luigi.Parameter()  # the CometCorpus digest

    def requires(self):  # noqa: ANN201
        plan = CometCorpus(self.corpus, self.out, self.digest).shards
        return [ReportShard(self.corpus, self.out, s, d, self.digest) for s, d, _ in plan]

    def output(self):  # noqa: ANN201
        return self.target("report", f"all-{self.digest}.json")

    def run(self) -> None:
        pages = sorted({p for t in self.input() for p in json.loads(Path(t.path).read_text(encoding="utf-8"))})
        write_json(self.output(), pages)


MODEL_FREE_STAGES = ("extract", "segment", "langid", "boilerplate", "pair", "align", "score", "flags")


def run_context(snap: Snapshot, status: dict) -> dict:
    from pipeline.score import LexicalScorer

    tool = {"version": __version__, "signature": f"{tool_signature(snap)}|models:{snap.model_plan.signature}",
            "metrics": LexicalScorer().signatures()}
    return {"tool": tool, "corpus": str(snap.root),
            "stages": {**{s: "ran" for s in MODEL_FREE_STAGES}, **status["stages"]}, "models": status["models"],
            "generated": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}


_SHARD_PLANS: dict[tuple[str, str, str], list[tuple[int, str, tuple[int, ...]]]] = {}


def shard_plan(task: TqaTask) -> list[tuple[int, str, tuple[int, ...]]]:
    """(shard, audit digest, original shards) per shard, once pairing has run. The digest covers
    exactly what the shard's articles depend on: its documents' text and structure, its originals'
    text and structure, the pairing of both, the glossary, settings and models."""
    snap = task.snap
    key = (task.corpus, task.out, snap.run_digest)
    if key in _SHARD_PLANS:
        return _SHARD_PLANS[key]
    pairs = pl.read_parquet(PairArticles(task.corpus, task.out, snap.pair_digest).output().path)
    structure = pl.read_parquet(StructureCorpus(task.corpus, task.out, snap.structure_digest)
                                .output()["structure"].path)
    shard_of_doc = {d.path: s for s, docs in snap.shards.items() for d in docs}
    doc_digest = {d.path: d.digest for d in snap.documents}
    # boilerplate reasons name no corpus-wide counts, so one new page does not touch every shard
    doc_state = {d: text_digest(state) for d, state in structure.group_by("doc_path").agg(
        pl.concat_str("article_id", "seg_id", "block", pl.col("boilerplate_reason").fill_null("-"), separator="|")
        .str.join("\n")).iter_rows()}
    art_state: dict[str, list[str]] = {}
    originals: dict[int, set[str]] = {}
    for row in pairs.select("doc_path", "article_id", "role", "lang", "original_article_id",
                            "original_path").iter_rows(named=True):
        s = shard_of_doc[row["doc_path"]]
        art_state.setdefault(row["doc_path"], []).append("|".join(map(str, row.values())))
        if row["original_path"]:
            originals.setdefault(s, set()).add(row["original_path"])
    plan = []
    signature = tool_signature(snap)
    for s, docs in snap.shards.items():
        orig_docs = sorted(originals.get(s, set()))
        orig_shards = tuple(sorted({shard_of_doc[o] for o in orig_docs} - {s}))
        digest = text_digest("audit", snap.langid_digests[s],
                             *(f"{o}:{doc_digest[o]}" for o in orig_docs),
                             *(doc_state.get(d.path, "") for d in docs), *(doc_state.get(o, "") for o in orig_docs),
                             *("\n".join(art_state.get(p, [])) for p in [d.path for d in docs] + orig_docs),
                             *snap.glossary, snap.cfg("align", "flags", "gate"), snap.model_plan.signature,
                             signature)
        plan.append((s, digest, orig_shards))
    _SHARD_PLANS[key] = plan
    return plan


def comet_digest(task: TqaTask) -> str:
    return text_digest("comet", *(d for _, d, _ in shard_plan(task)), task.snap.model_plan.signature)


def plan_target(task: TqaTask, digest: str) -> luigi.LocalTarget:
    return task.target("plan", f"{digest}.json")


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

    def run(self):  # noqa: ANN201
        snap = self.snap
        digest = comet_digest(self)
        plan = shard_plan(self)
        if not plan_target(self, digest).exists():
            write_json(plan_target(self, digest), [[s, d, list(o)] for s, d, o in plan])
        report = ReportCorpus(self.corpus, self.out, digest)
        yield report  # a dynamic dependency: the shard digests need the pairing first
        reports = report.requires()
        final = CometCorpus(self.corpus, self.out, digest).output()
        segments = pl.concat([pl.read_parquet(f["segments"].path) for f in final["shards"].values()])
        articles = pl.concat([pl.read_parquet(f["articles"].path) for f in final["shards"].values()])
        status = json.loads(Path(final["status"].path).read_text(encoding="utf-8"))
        problems = [p.as_dict() for p in snap.problems]
        for s, digest in snap.extract_digests.items():
            problems += json.loads(Path(ExtractShard(self.corpus, self.out, s, digest).output()["problems"].path)
                                   .read_text(encoding="utf-8"))
        problems += status.get("problems", [])
        summary = build_summary(snap, articles, problems, status)
        out = self.output()
        write_parquet(out["segments"], segments)
        write_parquet(out["articles"], articles)
        atomic_write_text(Path(out["index"].path), render_index(summary, articles.to_dicts()))
        write_json(out["summary"], summary)  # last: its digest marks the run complete
        remove_stale_work(self, reports)


def build_summary(snap: Snapshot, articles: pl.DataFrame, problems: list[dict], status: dict) -> dict:
    from pipeline.gate import run_verdict

    context = run_context(snap, status)
    arts = [{"article_id": a["article_id"], "doc_path": a["doc_path"], "original_path": a["original_path"],
             "lang": a["lang"], "role": a["role"], "title": a["title"],
             "scores": {k: a[k] for k in ("bleu", "chrf", "ter", "comet")},
             "flag_counts": a["flag_counts"], "verdict": a["verdict"], "reasons": a["reasons"]}
            for a in articles.sort("verdict", "article_id").iter_rows(named=True)]
    return {"contract": 1, "tool": context["tool"], "corpus": str(snap.root), "generated": context["generated"],
            "stages": context["stages"], "models": context["models"], "articles": arts, "errors": problems,
            "verdict": run_verdict([a["verdict"] for a in arts], problems, snap.configs["gate"]),
            "run": {"digest": snap.run_digest, "documents": len(snap.documents), "shards": len(snap.shards),
                    "manifest": snap.has_manifest}}


def remove_stale_work(task: TqaTask, reports: list[ReportShard]) -> None:
    """Delete work files and article pages that no longer belong to the current corpus."""
    keep = {str(Path(r.output().path)) for r in reports}
    pages: set[str] = set()
    for r in reports:
        pages |= set(json.loads(Path(r.output().path).read_text(encoding="utf-8")))
    if reports:
        comet = reports[0].requires()  # the one CometCorpus behind every ReportShard
        keep |= {str(Path(t.path)) for t in luigi.task.flatten(
            [comet.output(), [a.output() for a in comet.requires()["audits"]],
             plan_target(task, comet.digest), ReportCorpus(task.corpus, task.out, comet.digest).output()])}
    pair = task.requires()
    keep |= {str(Path(t.path)) for t in luigi.task.flatten(
        [pair.output(), pair.requires()["structure"].output(),
         BackTranslate(task.corpus, task.out, task.snap.backtranslate_digest).output()])}
    for s, digest in task.snap.langid_digests.items():
        lt = IdentifyLanguageShard(task.corpus, task.out, s, digest)
        keep |= {str(Path(t.path)) for t in luigi.task.flatten([lt.output(), lt.requires().output()])}
    for stage in ("extract", "langid", "structure", "pair", "backtranslate", "audit", "final", "report", "plan"):
        folder = task.work / stage
        for p in folder.glob("*") if folder.is_dir() else ():
            if str(p) not in keep:
                p.unlink(missing_ok=True)
    article_dir = Path(task.out) / "articles"
    for p in article_dir.glob("*.html") if article_dir.is_dir() else ():
        if p.name not in pages:
            p.unlink(missing_ok=True)
