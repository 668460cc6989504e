"""Find the documents of a corpus and read its manifest and glossary.

A corpus is a folder of ``.txt``, ``.html``/``.htm`` and ``.md`` files, searched recursively, with an
optional ``manifest.csv`` (``path,lang,original`` and optionally ``role``) and ``glossary.csv``
(``term`` and optionally ``note``) at its top.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

SUFFIX_KINDS = {".txt": "txt", ".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"}
LANG_RE = re.compile(r"^[a-z]{2,3}$")


@dataclass(frozen=True)
class Document:
    path: str  # relative to the corpus, '/'-separated
    kind: str  # txt | html | md
    size: int
    digest: str  # content hash


@dataclass(frozen=True)
class ManifestEntry:
    path: str
    lang: str | None
    original: str | None
    role: str | None  # 'original' | 'variant' | None (decided from the language)


@dataclass(frozen=True)
class InputProblem:
    path: str
    error: str
    severity: str = "error"  # 'error': not audited; 'warning': audited, but look at it

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "error": self.error, "severity": self.severity}


def content_digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def text_digest(*parts: str) -> str:
    h = hashlib.blake2b(digest_size=12)
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()


def shard_of(path: str, n_shards: int) -> int:
    """Stable shard of a document path (independent of the other files of the corpus)."""
    return int(hashlib.blake2b(path.encode("utf-8"), digest_size=4).hexdigest(), 16) % n_shards


def scan_corpus(root: Path, hash_cache: dict[str, tuple[int, int, str]] | None = None) -> list[Document]:
    """Every auditable file under ``root`` (hidden files and folders skipped), sorted by path.

    ``hash_cache`` (absolute path -> (size, mtime_ns, digest)) lets a long-lived process re-hash
    only the files whose size or modification time changed."""
    docs = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            kind = SUFFIX_KINDS.get(os.path.splitext(name)[1].lower())
            if kind is None or name.startswith("."):
                continue
            path = os.path.join(dirpath, name)
            st = os.stat(path)
            cached = hash_cache.get(path) if hash_cache is not None else None
            if cached and cached[:2] == (st.st_size, st.st_mtime_ns):
                digest = cached[2]
            else:
                with open(path, "rb") as fh:
                    digest = content_digest(fh.read())
                if hash_cache is not None:
                    hash_cache[path] = (st.st_size, st.st_mtime_ns, digest)
            docs.append(Document(Path(path).relative_to(root).as_posix(), kind, st.st_size, digest))
    return sorted(docs, key=lambda d: d.path)


def normalize_lang(code: str) -> str:
    """'sv-SE' -> 'sv', 'no' -> 'nb', 'EN' -> 'en'."""
    code = code.strip().lower().replace("_", "-").split("-")[0]
    return {"no": "nb"}.get(code, code)


def parse_manifest(text: str, corpus_paths: set[str], name: str = "manifest.csv"
                   ) -> tuple[dict[str, ManifestEntry], list[InputProblem]]:
    """Rows of a manifest, keyed by path, and the problems found.

    A row with a problem is left out (its document is then handled as if it had no row); a
    header without ``path``, ``lang`` and ``original`` makes the whole manifest unusable.
    """
    problems: list[InputProblem] = []
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return {}, [InputProblem(name, "empty manifest: expected a header 'path,lang,original'")]
    except csv.Error as exc:
        return {}, [InputProblem(name, f"not a CSV file ({exc}); the manifest is ignored")]
    missing = [c for c in ("path", "lang", "original") if c not in header]
    extra = [c for c in header if c not in ("path", "lang", "original", "role")]
    if missing or extra:
        return {}, [InputProblem(name, f"header is {','.join(header)!r}: expected 'path,lang,original' "
                                       f"(and optionally 'role'); the manifest is ignored and documents "
                                       f"are paired automatically")]
    col = {c: header.index(c) for c in header}
    entries: dict[str, ManifestEntry] = {}
    try:
        rows = list(reader)
    except csv.Error as exc:
        return {}, [InputProblem(name, f"unreadable CSV ({exc}); the manifest is ignored")]
    for line_no, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        where = f"{name} line {line_no}"
        if len(row) != len(header):
            problems.append(InputProblem(name, f"line {line_no}: {len(row)} fields where the header has "
                                               f"{len(header)}; row ignored"))
            continue
        path = row[col["path"]].strip().replace("\\", "/")
        lang_raw = row[col["lang"]].strip()
        original = row[col["original"]].strip().replace("\\", "/") or None
        role = row[col["role"]].strip().lower() or None if "role" in col else None
        if path not in corpus_paths:
            problems.append(InputProblem(name, f"line {line_no}: {path!r} is not a document of the corpus; "
                                               f"row ignored"))
            continue
        lang = normalize_lang(lang_raw) if lang_raw else None
        if lang is not None and not LANG_RE.match(lang):
            problems.append(InputProblem(name, f"line {line_no}: lang {lang_raw!r} of {path!r} is not a "
                                               f"language code such as 'en' or 'sv'; it is detected instead"))
            lang = None
        if role not in (None, "original", "variant"):
            problems.append(InputProblem(name, f"line {line_no}: role {role!r} of {path!r} must be 'original' "
                                               f"or 'variant'; decided from the language instead"))
            role = None
        if original is not None and original not in corpus_paths:
            problems.append(InputProblem(path, f"{where} names the original {original!r}, which is not in the "
                                               f"corpus; {path!r} is audited without an original"))
            original = None
            role = "variant"
        if original == path:
            problems.append(InputProblem(name, f"line {line_no}: {path!r} names itself as its original; "
                                               f"treated as an original"))
            original, role = None, "original"
        if path in entries:
            problems.append(InputProblem(name, f"line {line_no}: {path!r} is listed twice; the later row wins"))
        entries[path] = ManifestEntry(path, lang, original, role if original is None else "variant")
    return entries, problems


def parse_glossary(text: str, name: str = "glossary.csv") -> tuple[tuple[str, ...], list[InputProblem]]:
    """Do-not-translate terms of a glossary (column ``term``; other columns are notes)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except (StopIteration, csv.Error):
        return (), [InputProblem(name, "empty or unreadable glossary: expected a header with a 'term' column")]
    if "term" not in header:
        return (), [InputProblem(name, f"header is {','.join(header)!r}: expected a 'term' column; "
                                       f"the glossary is ignored")]
    i = header.index("term")
    terms = []
    for row in reader:
        if len(row) > i and row[i].strip():
            terms.append(row[i].strip())
    return tuple(dict.fromkeys(terms)), []
