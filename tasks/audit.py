"""The Luigi DAG of an audit. Tasks only wire pipeline stages to targets and settings.

    ExtractShard ─> SurveyLanguages ─> IdentifyLanguageShard ─> StructureCorpus ─> PairArticles ─> BackTranslate
    ─> ScoreShard (every shard) ─> CometCorpus ─> JudgeCorpus ─> ReportShard (every shard) ─> ReportCorpus
    ─> AuditCorpus

Per-document stages run over shards of documents (Luigi's scheduling cost grows with the square of
the task count); corpus-wide stages (the language survey, boilerplate statistics, pairing, the model
stages, which batch across the corpus, and the judge) run once. Every work file is named by a digest
of its inputs, settings and code (``pipeline.plan``), so a re-run with nothing changed finds every
target complete, and a change re-runs only what depends on it. AuditCorpus yields the later stages
as dynamic dependencies: the language set is known once the survey ran, the score shards' digests
once pairing ran.
"""

from __future__ import annotations

from functools import cached_property, lru_cache
from pathlib import Path

import luigi
import polars as pl

from pipeline.backtranslate import BT_SCHEMA, backtranslate_corpus, backtranslation_requests
from pipeline.cache import ModelCache
from pipeline.comet_score import comet_requests, comet_scores
from pipeline.discover import text_digest
from pipeline.gate import evaluate
from pipeline.housekeeping import remove_stale
from pipeline.judge import calibrate, calibrating, language_pairs
from pipeline.junit import junit_xml
from pipeline.langid import corpus_languages
from pipeline.layout import (
    claim_home,
    layout,
    link_pages,
    locked,
    mark_work_dir,
    new_generation,
    prepare,
    publish,
    remove_old_generations,
    seal,
)
from pipeline.models import comet_scorer_for, translator_for
from pipeline.pair import pair_corpus
from pipeline.plan import Snapshot, comet_digest, read_json, shard_plan
from pipeline.provenance import code_digest
from pipeline.report import ORDER_COLUMNS, navigation, render_index, report_order
from pipeline.resources import scoring_resources
from pipeline.structure import structure_corpus
from pipeline.summary import backtranslate_status, build_summary, comet_status, run_context, waivers_of

from . import config as cfg
from .parts import (
    ExtractPart,
    JudgePart,
    ReportPart,
    ScorePart,
    deal,
    extract_part,
    in_order,
    judge_part,
    pool_size,
    report_part,
    run_parts,
    score_part,
)
from .targets import (
    atomic_folder,
    atomic_write_text,
    write_json,
    write_json_path,
    write_parquet,
    write_parquet_path,
    write_pickle,
)

_SNAPSHOTS: dict[str, Snapshot] = {}


def snapshot(corpus: str) -> Snapshot:
    """The corpus as this process sees it (memoized; ``forget_snapshots`` starts afresh)."""
    if corpus not in _SNAPSHOTS:
        _SNAPSHOTS[corpus] = Snapshot(Path(corpus), cfg.all_configs())
    return _SNAPSHOTS[corpus]


def forget_snapshots() -> None:
    """Start afresh: rescan corpora and re-read luigi.cfg (Luigi caches Config instances)."""
    _SNAPSHOTS.clear()
    _SHARD_PLANS.clear()
    work_dir.cache_clear()
    _languages.cache_clear()
    luigi.task_register.Register.clear_instance_cache()


@lru_cache(maxsize=64)
def work_dir(out: str) -> Path:
    """Work files: ``[tqa] work_dir`` or the ``work`` folder of tqa's folder beside the report
    (``pipeline.layout``; cached: Luigi rebuilds a Config object on every call, and the scheduler
    asks every task for its targets many times)."""
    configured = cfg.tqa().work_dir  # type: ignore[attr-defined]
    return Path(configured).expanduser() if configured else layout(Path(out)).work


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

    @property
    def languages(self) -> tuple[str, ...]:
        return _languages(self.corpus, self.out)


@lru_cache(maxsize=16)
def _languages(corpus: str, out: str) -> tuple[str, ...]:
    """The corpus's languages, from the survey's output (which must exist by now)."""
    snap = snapshot(corpus)
    return tuple(read_json(Path(SurveyLanguages(corpus, out, snap.survey_digest).output().path))["languages"])


class ExtractShard(TqaTask):
    """Decode, extract blocks, segment sentences for one shard of documents; sample them for the survey."""

    shard = luigi.IntParameter()
    digest = luigi.Parameter()

    def output(self):
        return {"segments": self.target("extract", f"{self.shard:04d}-{self.digest}.parquet"),
                "problems": self.target("extract", f"{self.shard:04d}-{self.digest}.problems.json"),
                "survey": self.target("extract", f"{self.shard:04d}-{self.digest}.survey.json")}

    def run(self) -> None:
        snap = self.snap
        self.check_digest(snap.extract_digests.get(self.shard, ""))
        docs = snap.shards[self.shard]
        parts = [[docs[i] for i in ix] for ix in deal([d.size for d in docs], pool_size())] or [[]]
        results = run_parts(extract_part, [
            ExtractPart(str(snap.root), tuple(part), tuple(snap.lang_hint(d.path) for d in part),
                        snap.configs["extract"], snap.configs["langid"]) for part in parts])
        rank = {d.path: i for i, d in enumerate(docs)}
        problems = sorted((p for _, found, _ in results for p in found), key=lambda p: rank.get(p.path, len(rank)))
        survey = {doc: votes for _, _, votes_of in results for doc, votes in votes_of.items()}
        write_json(self.output()["problems"], [p.as_dict() for p in problems])
        write_json(self.output()["survey"], {doc: survey[doc] for doc in sorted(survey, key=rank.__getitem__)})
        write_parquet(self.output()["segments"], in_order([frame for frame, _, _ in results], "doc_path",
                                                          [d.path for d in docs]))


def _extract_tasks(task: TqaTask) -> list[ExtractShard]:
    return [ExtractShard(task.corpus, task.out, s, d) for s, d in task.snap.extract_digests.items()]


class SurveyLanguages(TqaTask):
    """The corpus's languages: those the survey of long blocks found, the manifest's and the source language."""

    digest = luigi.Parameter()

    def requires(self):
        return _extract_tasks(self)

    def output(self):
        return self.target("survey", f"{self.digest}.json")

    def run(self) -> None:
        snap = self.snap
        votes = {doc: v for t in self.input() for doc, v in read_json(Path(t["survey"].path)).items()}
        languages = corpus_languages(votes, snap.configs["langid"], {snap.source_lang, *snap.manifest_languages})
        counts: dict[str, int] = {}
        for lang in {digest: lang for doc_votes in votes.values() for digest, lang in doc_votes}.values():
            counts[str(lang)] = counts.get(str(lang), 0) + 1
        write_json(self.output(), {"languages": list(languages), "votes": dict(sorted(counts.items()))})


class IdentifyLanguageShard(TqaTask):
    """Language of every segment of a shard, among the corpus's languages, and spans of mixed segments."""

    shard = luigi.IntParameter()
    digest = luigi.Parameter()

    def requires(self):
        return {"extract": ExtractShard(self.corpus, self.out, self.shard, self.snap.extract_digests[self.shard]),
                "survey": SurveyLanguages(self.corpus, self.out, self.snap.survey_digest)}

    def output(self):
        return self.target("langid", f"{self.shard:04d}-{self.digest}.parquet")

    def run(self) -> None:
        from pipeline.langid import identify_languages

        segments = pl.read_parquet(self.input()["extract"]["segments"].path)
        write_parquet(self.output(), identify_languages(segments, self.languages, self.snap.configs["langid"]))


def _langid_tasks(task: TqaTask, shards=None) -> list[IdentifyLanguageShard]:
    digests = task.snap.langid_digests(task.languages)
    return [IdentifyLanguageShard(task.corpus, task.out, s, digests[s]) for s in (shards or digests)]


def _segments_with_text(structure_path: str, langid_targets) -> pl.DataFrame:
    texts = pl.read_parquet([t.path for t in langid_targets], columns=["doc_path", "block_idx", "sent_idx", "text"])
    return pl.read_parquet(structure_path).join(texts, on=["doc_path", "block_idx", "sent_idx"])


class StructureCorpus(TqaTask):
    """Boilerplate labels, article boundaries and expected languages, corpus-wide."""

    digest = luigi.Parameter()

    def requires(self):
        return _langid_tasks(self)

    def output(self):
        return {"structure": self.target("structure", f"{self.digest}.parquet"),
                "articles": self.target("structure", f"{self.digest}.articles.parquet")}

    def run(self) -> None:
        snap = self.snap
        columns = ["doc_path", "block_idx", "kind", "new_section", "chrome", "sent_idx", "text", "lang",
                   "lang_confidence"]
        segments = pl.read_parquet([t.path for t in self.input()], columns=columns)
        structure, articles = structure_corpus(segments, snap.manifest_langs, snap.manifest_originals,
                                               snap.source_lang, snap.configs["boilerplate"], snap.configs["pair"])
        write_parquet(self.output()["articles"], articles)
        write_parquet(self.output()["structure"], structure)


class PairArticles(TqaTask):
    """Role of every article and its original article."""

    digest = luigi.Parameter()

    def requires(self):
        return {"structure": StructureCorpus(self.corpus, self.out, self.snap.structure_digest(self.languages)),
                "langid": _langid_tasks(self)}

    def output(self):
        return self.target("pair", f"{self.digest}.parquet")

    def run(self) -> None:
        snap = self.snap
        segments = _segments_with_text(self.input()["structure"]["structure"].path, self.input()["langid"])
        articles = pl.read_parquet(self.input()["structure"]["articles"].path)
        lexicons = scoring_resources(snap.configs["lexicons"], self.languages, snap.source_lang).lexicons
        write_parquet(self.output(), pair_corpus(articles, segments, snap.manifest_originals, snap.manifest_roles,
                                                 snap.configs["pair"], snap.source_lang, lexicons, run_parts))


class BackTranslate(TqaTask):
    """English back-translations of the body segments of every non-English variant, corpus-wide:
    one model load per language pair, deduplicated, batched, through the persistent cache."""

    digest = luigi.Parameter()

    def requires(self):
        snap = self.snap
        return {"structure": StructureCorpus(self.corpus, self.out, snap.structure_digest(self.languages)),
                "pair": PairArticles(self.corpus, self.out, snap.pair_digest(self.languages)),
                "langid": _langid_tasks(self)}

    def output(self):
        return {"translations": self.target("backtranslate", f"{self.digest}.parquet"),
                "status": self.target("backtranslate", f"{self.digest}.json")}

    def run(self) -> None:
        snap = self.snap
        plan = snap.model_plan
        articles = pl.read_parquet(self.input()["pair"].path)
        segments = _segments_with_text(self.input()["structure"]["structure"].path, self.input()["langid"])
        requests = backtranslation_requests(articles, segments, snap.source_lang)
        translators = {lang: translator_for(plan.argos[lang], snap.configs["models"])
                       for lang in requests if lang in plan.argos}
        frame = pl.DataFrame(schema=BT_SCHEMA)
        if translators:
            cache = ModelCache(snap.configs["models"].cache_path)
            try:
                frame = backtranslate_corpus(requests, translators, cache)
            finally:
                cache.close()
        write_json(self.output()["status"], backtranslate_status(plan, requests, translators, snap.source_lang))
        write_parquet(self.output()["translations"], frame)


class LearnFromCorpus(TqaTask):
    """What the corpus teaches the scoring: word translations learnt from its confidently aligned pairs
    (added to the dictionaries), and each language's word order."""

    digest = luigi.Parameter()

    def requires(self):
        snap, langs = self.snap, self.languages
        return {"structure": StructureCorpus(self.corpus, self.out, snap.structure_digest(langs)),
                "pair": PairArticles(self.corpus, self.out, snap.pair_digest(langs)), "langid": _langid_tasks(self)}

    def output(self):
        return self.target("learn", f"{self.digest}.pickle")

    def run(self) -> None:
        from pipeline.learn import corpus_lexicons, order_models

        snap = self.snap
        texts = pl.concat([pl.read_parquet(t.path, columns=["doc_path", "block_idx", "sent_idx", "text", "lang"])
                           for t in self.input()["langid"]])
        segments = pl.read_parquet(self.input()["structure"]["structure"].path).join(
            texts, on=["doc_path", "block_idx", "sent_idx"])
        articles = pl.read_parquet(self.input()["pair"].path)
        base = scoring_resources(snap.configs["lexicons"], self.languages, snap.source_lang).lexicons
        lexicons = corpus_lexicons(articles, segments, base, snap.configs["align"])
        models = order_models(segments, [lg for lg in self.languages if lg != snap.source_lang], lexicons)
        write_pickle(self.output(), {"lexicons": lexicons, "order_models": models})


class ScoreShard(TqaTask):
    """Align the articles of one shard with their originals and let every detector score them."""

    shard = luigi.IntParameter()
    digest = luigi.Parameter()
    original_shards = luigi.ListParameter(default=())

    def requires(self):
        snap, langs = self.snap, self.languages
        return {"langid": _langid_tasks(self, sorted({self.shard, *self.original_shards})),
                "structure": StructureCorpus(self.corpus, self.out, snap.structure_digest(langs)),
                "pair": PairArticles(self.corpus, self.out, snap.pair_digest(langs)),
                "backtranslate": BackTranslate(self.corpus, self.out, snap.backtranslate_digest(langs)),
                "learn": LearnFromCorpus(self.corpus, self.out, snap.learn_digest(langs))}

    def output(self):
        return {"segments": self.target("score", f"{self.shard:04d}-{self.digest}.parquet"),
                "articles": self.target("score", f"{self.shard:04d}-{self.digest}.articles.parquet")}

    def run(self) -> None:
        snap, inputs, parts = self.snap, self.input(), pool_size()
        results = run_parts(score_part, [
            ScorePart(inputs["pair"].path, inputs["structure"]["structure"].path,
                      tuple(t.path for t in inputs["langid"]), inputs["backtranslate"]["translations"].path,
                      tuple(d.path for d in snap.shards[self.shard]), snap.glossary, snap.source_lang,
                      snap.configs["align"], snap.configs["lexicons"], self.languages, inputs["learn"].path, part,
                      parts)
            for part in range(parts)])
        # a page's rows stay in one part, in the pairing table's order; pages go back in the shard's
        # order, which is the pairing table's too (both sorted by path)
        order = [d.path for d in snap.shards[self.shard]]
        write_parquet(self.output()["articles"], in_order([arts for _, arts in results], "doc_path", order))
        write_parquet(self.output()["segments"], in_order([segs for segs, _ in results], "doc_path", order))


class _WithShardPlan(TqaTask):
    digest = luigi.Parameter()

    @cached_property
    def shards(self) -> list[tuple[int, str, tuple[int, ...]]]:
        """The shard plan AuditCorpus wrote (read once). Read as JSON, not Parquet: this runs in the
        worker's scheduling process, and polars used there before Luigi forks a task process can
        deadlock it."""
        return _read_plan(self)

    def score_tasks(self) -> list[ScoreShard]:
        return [ScoreShard(self.corpus, self.out, s, d, o) for s, d, o in self.shards]


class CometCorpus(_WithShardPlan):
    """COMET over every aligned group of the corpus (one model load, corpus-wide batches, cached)."""

    def requires(self):
        return {"scores": self.score_tasks(),
                "backtranslate": BackTranslate(self.corpus, self.out, self.snap.backtranslate_digest(self.languages))}

    def output(self):
        return {"scores": self.target("comet", f"{self.digest}.parquet"),
                "status": self.target("comet", f"{self.digest}.json")}

    def run(self) -> None:
        snap = self.snap
        plan, models_cfg = snap.model_plan, snap.configs["models"]
        scores = pl.DataFrame(schema={"article_id": pl.String, "align_group": pl.Int64, "comet": pl.Float64})
        model = plan.comet_ref or plan.comet_qe
        if model is not None:
            segments = pl.concat([pl.read_parquet(a["segments"].path) for a in self.input()["scores"]])
            items = comet_requests(segments, reference_free=model.reference_free)
            cache = ModelCache(models_cfg.cache_path)
            try:
                values = comet_scores(items.select("src", "mt", "ref").to_dicts(), comet_scorer_for(model, models_cfg),
                                      cache)
            finally:
                cache.close()
            scores = items.select("article_id", "align_group").with_columns(pl.Series("comet", values,
                                                                                        dtype=pl.Float64))
        bt_status = read_json(Path(self.input()["backtranslate"]["status"].path))
        write_json(self.output()["status"], {
            "stages": {**bt_status["stages"], "comet": comet_status(plan, scores.height)},
            "problems": bt_status["problems"],
            "models": {**bt_status["models"], "comet": model.model_id if model else None,
                       "comet_scores": scores.height}})
        write_parquet(self.output()["scores"], scores)


class JudgeCorpus(_WithShardPlan):
    """Flags and verdicts for the whole corpus from the scored shards and the thresholds; writes the
    final segment and article tables, per shard."""

    comet = luigi.Parameter()

    def requires(self):
        return {"scores": self.score_tasks(), "comet": CometCorpus(self.corpus, self.out, self.comet)}

    def output(self):
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
        scored, comet = self.input()["scores"], self.input()["comet"]
        status = read_json(Path(comet["status"].path))
        skipped = [s for s in snap.configs["gate"].required_stages
                   if not str(status["stages"].get(s, "ran")).startswith("ran")]
        pairs = language_pairs(pl.concat([pl.read_parquet(a["articles"].path) for a in scored]))
        calibration = calibrate((pl.read_parquet(a["segments"].path, columns=["article_id", "evidence"])
                                 for a in scored), pairs, snap.configs["flags"]) if calibrating() else {}
        outs = [self.output()["shards"][s] for s, _, _ in self.shards]
        run_parts(judge_part, [JudgePart(a["segments"].path, a["articles"].path, comet["scores"].path,
                                         o["segments"].path, o["articles"].path, snap.configs["flags"],
                                         snap.configs["gate"], tuple(skipped), pairs, calibration)
                               for a, o in zip(scored, outs, strict=True)])
        order = report_order(pl.concat([pl.read_parquet(o["articles"].path, columns=list(ORDER_COLUMNS))
                                        for o in outs]).to_dicts())
        write_json(self.output()["status"], {**status, "order": order})  # the pages' previous/next links


class ReportShard(TqaTask):
    """HTML pages of the articles of one shard."""

    shard = luigi.IntParameter()
    digest = luigi.Parameter()
    judge = luigi.Parameter()
    comet = luigi.Parameter()

    def requires(self):
        return JudgeCorpus(self.corpus, self.out, self.judge, self.comet)

    def output(self):
        return self.target("report", f"{self.shard:04d}-{self.digest}.json")

    @property
    def pages(self) -> Path:
        """The folder of the shard's pages (the report's generation links them in)."""
        return self.work / "pages" / f"{self.shard:04d}-{self.digest}"

    def run(self) -> None:
        final, parts = self.input(), pool_size()
        status = read_json(Path(final["status"].path))
        run = run_context(self.snap, status, self.languages)
        shard = final["shards"][self.shard]
        mine = pl.read_parquet(shard["articles"].path, columns=["article_id"])["article_id"].to_list()
        nav = navigation(status.get("order", []), mine)  # type: ignore[union-attr]
        with atomic_folder(self.pages) as folder:
            pages = run_parts(report_part, [ReportPart(shard["segments"].path, shard["articles"].path, str(folder),
                                                       run, part, parts, nav) for part in range(parts)])
        rank = {f"{a}.html": i for i, a in enumerate(mine)}
        write_json(self.output(), sorted((name for names in pages for name in names), key=rank.__getitem__))


class ReportCorpus(TqaTask):
    """All article pages. AuditCorpus yields this one task rather than every ReportShard: Luigi walks
    the whole dependency tree again for each task a run yields, which is quadratic in the shards."""

    digest = luigi.Parameter()  # the JudgeCorpus digest
    comet = luigi.Parameter()

    def requires(self):
        judge = JudgeCorpus(self.corpus, self.out, self.digest, self.comet)
        return [ReportShard(self.corpus, self.out, s, self.snap.report_digest(self.digest, s, d), self.digest,
                            self.comet) for s, d, _ in judge.shards]

    def output(self):
        return self.target("report", f"all-{text_digest(self.digest, code_digest('report'))}.json")

    def run(self) -> None:
        pages = {name: str(shard.pages / name) for shard, t in zip(self.requires(), self.input(), strict=True)
                 for name in read_json(Path(t.path))}
        write_json(self.output(), dict(sorted(pages.items())))


_SHARD_PLANS: dict[tuple[str, str, str], list[tuple[int, str, tuple[int, ...]]]] = {}


def compute_shard_plan(task: TqaTask) -> list[tuple[int, str, tuple[int, ...]]]:
    """The score shards' digests, once pairing has run (memoized per run)."""
    snap, langs = task.snap, task.languages
    key = (task.corpus, task.out, snap.run_digest(langs))
    if key not in _SHARD_PLANS:
        pairs = pl.read_parquet(PairArticles(task.corpus, task.out, snap.pair_digest(langs)).output().path)
        structure = pl.read_parquet(StructureCorpus(task.corpus, task.out, snap.structure_digest(langs))
                                    .output()["structure"].path)
        _SHARD_PLANS[key] = shard_plan(snap, pairs, structure, snap.langid_digests(langs),
                                       snap.resources_signature(langs))
    return _SHARD_PLANS[key]


def _dependencies(task: luigi.Task) -> list[luigi.Task]:
    """``task`` and every task it depends on, each once."""
    seen: dict[str, luigi.Task] = {}
    todo = [task]
    while todo:
        t = todo.pop()
        if t.task_id not in seen:
            seen[t.task_id] = t
            todo += luigi.task.flatten(t.requires())
    return list(seen.values())


def plan_target(task: TqaTask, digest: str) -> luigi.LocalTarget:
    return task.target("plan", f"{digest}.json")


def _read_plan(task: _WithShardPlan) -> list[tuple[int, str, tuple[int, ...]]]:
    key = task.comet if isinstance(task, JudgeCorpus) else task.digest
    plan = read_json(Path(plan_target(task, key).path))
    return [(s, d, tuple(o)) for s, d, o in plan]  # type: ignore[union-attr]


class AuditCorpus(TqaTask):
    """The whole audit: segments.parquet, articles.parquet, summary.json, index.html and article pages."""

    def requires(self):
        return SurveyLanguages(self.corpus, self.out, self.snap.survey_digest)

    def output(self):
        out = Path(self.out)
        return {"summary": luigi.LocalTarget(str(out / "summary.json")),
                "segments": luigi.LocalTarget(str(out / "segments.parquet")),
                "articles": luigi.LocalTarget(str(out / "articles.parquet")),
                "index": luigi.LocalTarget(str(out / "index.html")),
                "junit": luigi.LocalTarget(str(out / "junit.xml"))}

    def complete(self) -> bool:
        outputs = self.output()
        if not all(t.exists() for t in outputs.values()):
            return False
        survey = SurveyLanguages(self.corpus, self.out, self.snap.survey_digest).output()
        if not survey.exists():
            return False
        try:
            summary = read_json(Path(outputs["summary"].path))
        except (OSError, ValueError):
            return False
        if summary.get("waivers", {}).get("state", "") != waivers_of(self.snap).state:  # type: ignore[union-attr]
            return False  # a waiver expired since: judge again
        return summary.get("run", {}).get("digest") == self.snap.run_digest(self.languages)  # type: ignore[union-attr]

    def run(self):
        snap, langs = self.snap, self.languages
        yield PairArticles(self.corpus, self.out, snap.pair_digest(langs))  # a dynamic dependency: needs the languages
        plan = compute_shard_plan(self)
        comet = comet_digest(snap, plan, snap.backtranslate_digest(langs))
        judge = text_digest(snap.judge_digest(comet), waivers_of(snap).state)  # expiry changes the verdicts
        if not plan_target(self, comet).exists():
            write_json(plan_target(self, comet), [[s, d, list(o)] for s, d, o in plan])
        report = ReportCorpus(self.corpus, self.out, judge, comet)
        yield report  # a dynamic dependency: the shard digests need the pairing first
        final = JudgeCorpus(self.corpus, self.out, judge, comet).output()
        segments = pl.concat([pl.read_parquet(f["segments"].path) for f in final["shards"].values()])
        articles = pl.concat([pl.read_parquet(f["articles"].path) for f in final["shards"].values()])
        status = read_json(Path(final["status"].path))
        problems = [p.as_dict() for p in snap.problems]
        for t in _extract_tasks(self):
            problems += read_json(Path(t.output()["problems"].path))
        problems += status.get("problems", [])
        survey = read_json(Path(self.input().path))
        summary = build_summary(snap, articles, problems, status, survey, snap.run_digest(langs), segments)
        lay = layout(Path(self.out))
        claim_home(lay)
        with locked(lay.lock_path):
            prepare(lay)
            mark_work_dir(self.work)
            gen = new_generation(lay, snap.run_digest(langs))
            write_parquet_path(gen / "segments.parquet", segments)
            write_parquet_path(gen / "articles.parquet", articles)
            atomic_write_text(gen / "index.html", render_index(summary, articles.to_dicts()))
            atomic_write_text(gen / "junit.xml", junit_xml(evaluate(summary, segments)))
            write_json_path(gen / "summary.json", summary)
            link_pages({n: Path(p) for n, p in read_json(Path(report.output().path)).items()}, gen / "articles")
            seal(gen)
            publish(lay, gen)  # the new report, whole, in one step
            remove_old_generations(lay)
            keep = {str(Path(t.path)) for task in _dependencies(report) for t in luigi.task.flatten(task.output())}
            keep |= {str(Path(x.path)) for t in _extract_tasks(self) for x in luigi.task.flatten(t.output())}
            keep |= {str(t.pages) for t in report.requires()}
            keep.add(str(Path(plan_target(self, comet).path)))
            remove_stale(self.work, keep)


# --------------------------------------------------------------------------- the Luigi way
#: Print the verdict and the report's path when AuditCorpus succeeds (or was already complete), as
#: ``tqa audit`` does; ``tqa audit`` turns this off and prints them itself.
ANNOUNCE = True


@AuditCorpus.event_handler(luigi.Event.SUCCESS)
@AuditCorpus.event_handler(luigi.Event.DEPENDENCY_PRESENT)
def _announce(task: AuditCorpus) -> None:
    if not ANNOUNCE or not isinstance(task, AuditCorpus):
        return
    from .cli import print_summary

    try:
        summary = read_json(Path(task.output()["summary"].path))
    except (OSError, ValueError):
        return
    print_summary(summary, Path(task.out))  # type: ignore[arg-type]
