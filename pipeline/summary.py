"""What a run says about itself: stage status, the tool's signature and ``summary.json``."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping
from typing import Any

import polars as pl

from . import __version__
from .detectors import DETECTORS, FLAG_SEVERITY, FLAGS
from .discover import text_digest
from .judge import run_verdict
from .models import ENABLE_COMMAND, ModelPlan
from .plan import Snapshot
from .provenance import library_versions
from .score import LexicalScorer
from .waivers import parse_waivers, today, waiver_problems, waiver_summary

CONTRACT = 2
MODEL_FREE_STAGES = ("extract", "segment", "survey", "langid", "boilerplate", "pair", "align", "score", "judge")


def backtranslate_status(plan: ModelPlan, requests: Mapping[str, list[str]], translators: Mapping,
                         source_lang: str) -> dict:
    """Stage status and model figures of the back-translation, and a problem per language left out."""
    problems = []
    if not requests:
        stage = f"skipped: no variant needs it (every variant is in {source_lang})"
    elif not translators:
        stage = f"skipped: {plan.argos_missing or 'no Argos Translate package for ' + ', '.join(requests)}"
    else:
        stage = "ran"
        for lang in sorted(set(requests) - set(translators)):
            problems.append({"path": "(models)", "severity": "warning",
                             "error": f"no Argos Translate package for {lang}→{source_lang}: {lang} variants have "
                                      f"no back-translation — run `{ENABLE_COMMAND}`"})
    models = {lang: t.package.model_id for lang, t in translators.items()}
    return {"stages": {"backtranslate": stage}, "problems": problems,
            "models": {"backtranslate": models, "backtranslated": sum(len(requests[lg]) for lg in translators)}}


def comet_status(plan: ModelPlan, n_scores: int) -> str:
    if plan.comet_ref is None and plan.comet_qe is None:
        return f"skipped: {plan.comet_ref_missing}"
    if n_scores == 0:
        return ("skipped: nothing to score (reference-based COMET scores back-translated groups; "
                "back-translation produced none)")
    return "ran"


def tool_signature(snap: Snapshot) -> str:
    """tqa version, the libraries whose behaviour shapes the results, the settings and the models."""
    cfg = text_digest(snap.cfg("tqa", "extract", "langid", "boilerplate", "pair", "align", "flags", "gate"))
    return f"tqa:{__version__}|{library_versions()}|cfg:{cfg}|models:{snap.model_plan.signature}"


def run_context(snap: Snapshot, status: Mapping[str, Any], languages: tuple[str, ...]) -> dict:
    """What every page says of the run: tool, corpus, stages, models, when."""
    from .resources import resource_stages

    tool = {"version": __version__, "signature": tool_signature(snap), "metrics": LexicalScorer().signatures()}
    stages = {**{s: "ran" for s in MODEL_FREE_STAGES},
              **resource_stages(languages, snap.source_lang, snap.configs["lexicons"]),  # type: ignore[arg-type]
              **status["stages"]}
    return {"tool": tool, "corpus": str(snap.root), "stages": stages, "models": status["models"],
            "generated": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


def flag_table() -> dict[str, dict[str, Any]]:
    """Each flag's severity and what raises it (from the detector registry)."""
    return {f: {"severity": FLAG_SEVERITY[f],
                "raised_when": [d.summary for d in DETECTORS if d.flag == f]} for f in FLAGS}


def gate_settings(cfg: Any) -> dict[str, Any]:
    """The ``[gate]`` settings the verdicts were decided with (``gate`` in summary.json)."""
    return {"fail_on": dict(cfg.fail_on), "fail_on_errors": cfg.fail_on_errors, "unverified": cfg.unverified,
            "required_stages": list(cfg.required_stages), "waivers": cfg.waivers or None}


def waivers_of(snap: Snapshot):
    """The run's waivers (``[gate] waivers``) as of today (``TQA_TODAY``), from the text the snapshot read."""
    path = snap.configs["gate"].waivers  # type: ignore[attr-defined]
    return parse_waivers(snap.waivers_text, path, today(), FLAGS)


def build_summary(snap: Snapshot, articles: pl.DataFrame, problems: list[dict], status: Mapping[str, Any],
                  survey: Mapping[str, Any], digest: str, segments: pl.DataFrame | None = None) -> dict:
    """The content of ``summary.json`` (docs/output.md). ``segments``: the judged rows, for the count of
    findings each waiver covered."""
    context = run_context(snap, status, tuple(survey["languages"]))
    arts = [{"article_id": a["article_id"], "doc_path": a["doc_path"], "original_path": a["original_path"],
             "original_article_id": a["original_article_id"], "lang": a["lang"], "role": a["role"],
             "title": a["title"], "n_body": a["n_body"],
             "scores": {k: a[k] for k in ("bleu", "chrf", "ter", "comet")},
             "flag_counts": a["flag_counts"], "waived_counts": a["waived_counts"], "verdict": a["verdict"],
             "reasons": a["reasons"]}
            for a in articles.sort("verdict", "article_id").iter_rows(named=True)]
    waivers = waivers_of(snap)
    applied: Counter[int] = Counter()
    if segments is not None and waivers.active:
        applied.update(w["line"] for row in segments["waived"].to_list() for w in row)
    problems = [*problems, *waiver_problems(waivers)]
    verdicts = Counter(a["verdict"] for a in arts)
    return {"contract": CONTRACT, "tool": context["tool"], "corpus": str(snap.root), "generated": context["generated"],
            "stages": context["stages"], "models": context["models"], "languages": survey["languages"],
            "flags": flag_table(), "articles": arts, "errors": problems,
            "waivers": waiver_summary(waivers, dict(applied)), "gate": gate_settings(snap.configs["gate"]),
            "counts": {v: verdicts.get(v, 0) for v in ("fail", "unverified", "pass", "reference")},
            "verdict": run_verdict([a["verdict"] for a in arts], problems, snap.configs["gate"]),  # type: ignore
            "run": {"digest": digest, "documents": len(snap.documents), "shards": len(snap.shards),
                    "manifest": snap.has_manifest}}
