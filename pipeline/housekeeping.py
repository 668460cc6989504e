"""Removing what a run no longer needs: work files and page folders of earlier runs.

Only what tqa can prove it wrote goes: files inside the stage folders of a work folder that carries
tqa's marker (``pipeline.layout.WORK_MARKER``), named as tqa names its work files; and page folders
of its own (``pages/<shard>-<digest>/``) holding only pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from .layout import WORK_MARKER, is_work_file

WORK_STAGES = ("extract", "survey", "langid", "structure", "pair", "learn", "backtranslate", "score", "comet",
               "final", "report", "plan")


def remove_stale(work: Path, keep: Iterable[str]) -> list[Path]:
    """Delete work files and page folders of ``work`` not in ``keep`` (absolute paths); returns what
    was deleted. A work folder without tqa's marker is left alone."""
    if not (work / WORK_MARKER).is_file():
        return []
    keep = set(keep)
    removed = []
    for stage in WORK_STAGES:
        folder = work / stage
        for p in sorted(folder.iterdir()) if folder.is_dir() else ():
            if str(p) not in keep and p.is_file() and not p.is_symlink() and is_work_file(p):
                p.unlink(missing_ok=True)
                removed.append(p)
    pages = work / "pages"
    for folder in sorted(pages.iterdir()) if pages.is_dir() else ():
        if str(folder) in keep or not folder.is_dir() or folder.is_symlink():
            continue
        files = list(folder.iterdir())
        if all(f.is_file() and not f.is_symlink() and f.suffix == ".html" for f in files):
            for f in files:
                f.unlink()
            folder.rmdir()
            removed.append(folder)
    return removed
