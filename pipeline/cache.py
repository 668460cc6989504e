"""A persistent, content-addressed cache of model outputs, shared by runs and by Luigi workers.

Keys are digests of (model id, input text(s)); values are what the model returned. SQLite in WAL
mode lets several worker processes read and write at once; a write is one transaction, so a
crash leaves the cache as it was before it.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path


def cache_key(model_id: str, *parts: str) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in (model_id, *parts):
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


class ModelCache:
    """``get_many``/``put_many`` over one table per kind of output ('translation', 'comet')."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS outputs (kind TEXT NOT NULL, key TEXT NOT NULL, "
                         "value TEXT NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID")

    def get_many(self, kind: str, keys: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for i in range(0, len(keys), 500):
            chunk = list(keys[i:i + 500])
            marks = ",".join("?" * len(chunk))
            for key, value in self._db.execute(
                    f"SELECT key, value FROM outputs WHERE kind = ? AND key IN ({marks})", [kind, *chunk]):
                found[key] = value
        return found

    def put_many(self, kind: str, items: Iterable[tuple[str, str]]) -> None:
        rows = [(kind, k, v) for k, v in items]
        if not rows:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany("INSERT OR REPLACE INTO outputs (kind, key, value) VALUES (?, ?, ?)", rows)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._db.close()
