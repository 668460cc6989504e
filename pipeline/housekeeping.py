"""Removing what a run no longer needs: work files of earlier runs and pages of articles that are gone."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

WORK_STAGES = ("extract", "survey", "langid", "structure", "pair", "learn", "backtranslate", "score", "comet", "final",
               "report", "plan")


def remove_stale(work: Path, keep: Iterable[str], pages_dir: Path, pages: Iterable[str]) -> list[Path]:
    """Delete work files not in ``keep`` (absolute paths) from tqa's stage folders of ``work``, and
    article pages of ``pages_dir`` not named in ``pages``; returns what was deleted."""
    keep, pages = set(keep), set(pages)
    removed = []
    for stage in WORK_STAGES:
        folder = work / stage
        for p in sorted(folder.glob("*")) if folder.is_dir() else ():
            if str(p) not in keep and p.is_file():
                p.unlink(missing_ok=True)
                removed.append(p)
    for p in sorted(pages_dir.glob("*.html")) if pages_dir.is_dir() else ():
        if p.name not in pages:
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed
