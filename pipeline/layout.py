"""Where a report lives, and how it is replaced whole or not at all.

The folder a user names with ``--out`` (``REPORT``) is a symbolic link to the current *generation*
of the report: a complete folder (summary, tables, pages, junit.xml) that tqa builds beside it and
then switches to in one ``rename`` — a reader (a web server, ``tqa gate``) sees the old report or
the new one, never a mix. tqa's own things sit in a hidden folder beside it, ``.REPORT.tqa/``:

* ``generations/`` — the report's generations (the current one, and leftovers of a killed run);
* ``work/`` — the work files of the Luigi tasks (unless ``[tqa] work_dir`` names another folder);
* ``lock`` — one audit at a time writes the report.

Nothing of the user's is deleted: tqa removes only what it can prove it wrote — generation folders
that carry its marker, and inside them only the files its list names; work files only inside the
stage folders of a work folder that carries its marker, and only by their digest names.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigurationError

HOME_MARKER = ".tqa-home"
GENERATION_MARKER = ".tqa-generation.json"
WORK_MARKER = ".tqa-work"
WORK_NAME_RE = re.compile(r"^(?:\d{4}-|all-)?[0-9a-f]{20,24}(?:-\d{4})?(?:\.[a-z]+)*\.(?:parquet|json|pickle)$")


@dataclass(frozen=True)
class ReportLayout:
    out: Path  # what the user names: a symbolic link to the current generation
    home: Path  # tqa's folder beside it

    @property
    def generations(self) -> Path:
        return self.home / "generations"

    @property
    def work(self) -> Path:
        return self.home / "work"

    @property
    def lock_path(self) -> Path:
        return self.home / "lock"


def layout(out: Path) -> ReportLayout:
    out = Path(os.path.abspath(out))
    return ReportLayout(out, out.parent / f".{out.name}.tqa")


def current_generation(lay: ReportLayout) -> Path | None:
    """The generation ``out`` points at (None when it is no link of tqa's)."""
    if not lay.out.is_symlink():
        return None
    target = (lay.out.parent / os.readlink(lay.out)).resolve()
    return target if target.parent == lay.generations.resolve() else None


def problem_with_out(out: Path, corpus: Path) -> str | None:
    """Why ``out`` cannot receive a report of ``corpus`` (None when it can): it must be new, a report
    tqa wrote (the link to a generation, or a folder of an earlier tqa version), outside the corpus
    and not holding it."""
    lay = layout(out)
    corpus = corpus.resolve()
    if lay.out == corpus or corpus in lay.out.parents:
        return f"--out {out} is inside the corpus {corpus}; its pages would be audited next time"
    if lay.out in corpus.parents:
        return f"the corpus {corpus} is inside --out {out}; choose a report folder outside it"
    if current_generation(lay) is not None:
        return None
    if os.path.lexists(lay.out) and not lay.out.is_dir():
        return f"--out {out} exists and is not a folder; name a new folder (or an earlier report)"
    if lay.out.is_dir() and any(lay.out.iterdir()) and not is_legacy_report(lay.out):
        return (f"--out {out} exists and is not a tqa report; choose a new folder (tqa builds the report beside it "
                f"and replaces it whole)")
    return None


def is_legacy_report(folder: Path) -> bool:
    """A report folder of an earlier tqa: a summary.json with its run digest and tqa's work folder."""
    try:
        summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(summary, dict) and "contract" in summary and "digest" in summary.get("run", {}) and \
        (folder / ".tqa" / "extract").is_dir()


def claim_home(lay: ReportLayout) -> None:
    """Create tqa's folder beside the report, refusing one that exists and is not tqa's."""
    if lay.home.exists() and not (lay.home / HOME_MARKER).is_file() and \
            not {p.name for p in lay.home.iterdir()} <= {"generations", "work", "lock"}:
        raise ConfigurationError(f"{lay.home} exists and is not tqa's (no {HOME_MARKER} in it); move it away")
    lay.generations.mkdir(parents=True, exist_ok=True)
    (lay.home / HOME_MARKER).touch()


def prepare(lay: ReportLayout) -> None:
    """Claim tqa's folder (``claim_home``) and move a folder an earlier tqa wrote at ``out`` into it
    (kept, not deleted) so ``out`` can become the link."""
    claim_home(lay)
    if lay.out.is_dir() and not lay.out.is_symlink():
        if any(lay.out.iterdir()):
            os.rename(lay.out, lay.home / f"earlier-report-{time.strftime('%Y%m%d-%H%M%S')}")
        else:
            lay.out.rmdir()


def check_work_dir(work: Path, corpus: Path, lay: ReportLayout) -> None:
    """A work folder must be tqa's own (empty, new or marked) and outside the corpus."""
    work_abs, corpus = Path(os.path.abspath(work)), corpus.resolve()
    if work_abs == corpus or corpus in work_abs.parents or work_abs in corpus.parents:
        raise ConfigurationError(f"[tqa] work_dir = {work}: inside the corpus {corpus} (or holding it); tqa writes and "
                                 f"deletes its work files there — name a folder of its own")
    if work_abs == lay.out or lay.out in work_abs.parents:
        raise ConfigurationError(f"[tqa] work_dir = {work}: inside the report {lay.out}, which tqa replaces whole")
    if work_abs.exists() and any(work_abs.iterdir()) and not (work_abs / WORK_MARKER).is_file():
        raise ConfigurationError(f"[tqa] work_dir = {work}: the folder exists and is not tqa's (no {WORK_MARKER} in "
                                 f"it); name a new or empty folder")


def mark_work_dir(work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    (work / WORK_MARKER).touch()


_HELD: set[str] = set()  # locks this process holds (the command's, and the task's inside it)


@contextlib.contextmanager
def locked(path: Path, on_wait: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the lock file ``path`` for the block (re-entrant within a process); when another process
    holds it, say so once (``on_wait``) and wait for it."""
    key = str(Path(os.path.abspath(path)))
    if key in _HELD:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "another process"
            if on_wait:
                on_wait(f"another audit is writing this report (pid {holder}); waiting for it to finish")
            fcntl.flock(fd, fcntl.LOCK_EX)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        _HELD.add(key)
        try:
            yield
        finally:
            _HELD.discard(key)
    finally:
        os.close(fd)


def new_generation(lay: ReportLayout, digest: str) -> Path:
    """A new, empty generation folder (marked as tqa's) to build a report in."""
    gen = lay.generations / f"{digest}-{time.time_ns()}"
    gen.mkdir(parents=True)
    (gen / GENERATION_MARKER).write_text(json.dumps({"files": []}), encoding="utf-8")
    return gen


def seal(gen: Path) -> None:
    """Record every file of ``gen`` as tqa's (before publishing: what it may later delete)."""
    files = sorted(str(p.relative_to(gen)) for p in gen.rglob("*") if p.is_file() and p.name != GENERATION_MARKER)
    tmp = gen / f".{GENERATION_MARKER}.tmp"
    tmp.write_text(json.dumps({"files": files}), encoding="utf-8")
    os.replace(tmp, gen / GENERATION_MARKER)


def publish(lay: ReportLayout, gen: Path) -> None:
    """Point ``out`` at ``gen`` in one atomic step (a new link renamed over the old one)."""
    tmp = lay.out.parent / f".{lay.out.name}.tqa-link-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    os.symlink(os.path.relpath(gen, lay.out.parent), tmp)
    os.replace(tmp, lay.out)


def remove_old_generations(lay: ReportLayout) -> list[Path]:
    """Delete the generations that are not current (a killed run's too): only the files each one's
    marker lists, then its empty folders; a folder with anything else in it is left. Returns what
    was removed."""
    current = current_generation(lay)
    removed = []
    for gen in sorted(lay.generations.iterdir()) if lay.generations.is_dir() else ():
        if gen.resolve() == current or not (gen / GENERATION_MARKER).is_file():
            continue
        try:
            listed = json.loads((gen / GENERATION_MARKER).read_text(encoding="utf-8"))["files"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        for name in listed:
            path = gen / name
            if path.is_file() and not path.is_symlink() and gen in path.resolve().parents:
                path.unlink()
        # an unsealed (killed) generation lists nothing yet: its files are tqa's by their names
        for path in sorted(gen.rglob("*"), reverse=True):
            if path.is_file() and _is_generation_file(gen, path):
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
        (gen / GENERATION_MARKER).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            gen.rmdir()
            removed.append(gen)
    return removed


_GENERATION_FILES = {"summary.json", "segments.parquet", "articles.parquet", "index.html", "junit.xml"}


def _is_generation_file(gen: Path, path: Path) -> bool:
    rel = path.relative_to(gen)
    if len(rel.parts) == 1:
        return rel.name in _GENERATION_FILES or (rel.name.startswith(".") and rel.name.endswith(".tmp"))
    return len(rel.parts) == 2 and rel.parts[0] == "articles" and rel.name.endswith(".html")


def link_pages(pages: dict[str, Path], folder: Path) -> None:
    """Put the page files into ``folder`` under their names: hard links (no copy) where the file
    system allows, else copies."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, src in pages.items():
        dest = folder / name
        try:
            os.link(src, dest)
        except OSError:
            shutil.copyfile(src, dest)


def is_work_file(path: Path) -> bool:
    """A file whose name tqa gives its work files (a digest, a shard number)."""
    return bool(WORK_NAME_RE.match(path.name))
