"""Atomic writes: a crash leaves the previous file or none, never half a file."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import luigi
import polars as pl


def write_parquet(target: luigi.LocalTarget, frame: pl.DataFrame) -> None:
    _atomic(Path(target.path), lambda tmp: frame.write_parquet(tmp))


def write_json(target: luigi.LocalTarget, value: object) -> None:
    atomic_write_text(Path(target.path), json.dumps(value, ensure_ascii=False, indent=1, default=str))


def atomic_write_text(path: Path, text: str) -> None:
    _atomic(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def _atomic(path: Path, write: Callable[[str], object]) -> None:
    """Write to a temporary file beside ``path``, then rename it over ``path`` (replacing it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
