"""What the run says about itself: the status of the model stages and the tool signature."""

from __future__ import annotations

import importlib.metadata as md

from pipeline import __version__
from pipeline.discover import text_digest

from .snapshot import Snapshot


def model_stage_status(snap: Snapshot) -> dict[str, str]:
    """Status of the model stages. Back-translation and COMET are not wired into this release yet,
    so they are reported as skipped, with the reason, rather than silently absent."""
    why = "not in this release — back-translation (Argos Translate) and COMET arrive with the model stages"
    return {"backtranslate": f"skipped: {why}", "comet": f"skipped: {why}"}


def _version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "none"


def tool_signature(snap: Snapshot) -> str:
    """tqa version, the libraries whose behaviour shapes the results, and the settings digest."""
    libs = ("lingua-language-detector", "blingfire", "sacrebleu", "selectolax", "polars")
    parts = [f"tqa:{__version__}"] + [f"{d}:{_version(d)}" for d in libs]
    parts.append("cfg:" + text_digest(
        snap.cfg("source_lang", "extract", "langid", "boilerplate", "pair", "align", "flags", "gate")))
    return "|".join(parts)
