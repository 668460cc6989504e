"""What the run says about itself: the status of the model stages and the tool signature."""

from __future__ import annotations

from pipeline import __version__
from pipeline.discover import text_digest
from pipeline.models import ENABLE_COMMAND, ModelPlan

from .snapshot import Snapshot


def backtranslate_status(plan: ModelPlan, requests: dict[str, list[str]], translators: dict,
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
    """tqa version, the libraries whose behaviour shapes the results, and the settings digest."""
    parts = [f"tqa:{__version__}", snap.libraries]
    parts.append("cfg:" + text_digest(
        snap.cfg("source_lang", "extract", "langid", "boilerplate", "pair", "align", "flags", "gate")))
    return "|".join(parts)
