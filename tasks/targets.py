"""Atomic writes: a crash leaves the previous file or none, never half a file."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import luigi
import polars as pl

_UMASK = os.umask(0)
os.umask(_UMASK)
_FILE_MODE = 0o666 & ~_UMASK  # what open() would give a new file


def write_parquet(target: luigi.LocalTarget, frame: pl.DataFrame) -> None:
    write_parquet_path(Path(target.path), frame)


def write_parquet_path(path: Path, frame: pl.DataFrame) -> None:
    def write(fd: int, tmp: str) -> None:
        os.close(fd)
        frame.write_parquet(tmp)

    _atomic(path, write)


def write_json(target: luigi.LocalTarget, value: object) -> None:
    write_json_path(Path(target.path), value)


def write_json_path(path: Path, value: object) -> None:
    atomic_write_text(path, json.dumps(value, ensure_ascii=False, indent=1, default=str))


def atomic_write_text(path: Path, text: str) -> None:
    def write(fd: int, _tmp: str) -> None:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)

    _atomic(path, write)


def _atomic(path: Path, write: Callable[[int, str], object]) -> None:
    """Write to a temporary file beside ``path`` (``write`` gets its open descriptor and its name,
    and closes the descriptor), then rename it over ``path`` (replacing it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _FILE_MODE)  # mkstemp's 0600 would hide the report from a web server
        write(fd, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def atomic_folder(path: Path) -> Iterator[Path]:
    """A new folder beside ``path`` to fill (its files written plainly, not one by one through
    ``_atomic``), which then replaces ``path`` whole: a crash leaves the earlier folder or none,
    never some of the files."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        os.chmod(tmp, 0o777 & ~_UMASK)  # mkdtemp's 0700, like mkstemp's 0600, would hide the pages
        yield tmp
        if path.is_dir():  # an earlier try at the same folder, stopped before its target was written
            shutil.rmtree(path)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_pickle(target: luigi.LocalTarget, value: object) -> None:
    import pickle

    def write(fd: int, _tmp: str) -> None:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)

    _atomic(Path(target.path), write)
