"""Score ``tqa audit`` on labelled evaluation corpora: every figure per corpus, language and run.

Corpora (built here unless given with ``--corpus``):

``libreoffice-help``, ``debian-reference``
    real documentation with its real translations, framed in site chrome, faults injected
    (``tests/fixtures/eval_corpora.py``); split ``dev`` (for tuning) or ``test`` (final figures).
``manpages``
    the English/Swedish man-page corpus of ``tests/fixtures/bilingual.py`` (one split).

Each corpus is audited twice with the ``tqa audit CORPUS --out DIR`` command, on copies of the
corpus with ``manifest.csv`` and without it, in the default configuration: from a folder whose
``luigi.cfg`` is the repository's (``[langid] languages`` as shipped).  The reports are read as
``docs/output.md`` describes (``segments.parquet``, ``articles.parquet``, ``summary.json``; extra
columns and new verdict values are tolerated) -- nothing of tqa is imported.

Segments are matched to the labelled blocks of their page by text, in reading order; a block
carries a flag when one of its segments does.  Figures, per target language, for English
(originals and spun variants) and for all pages together:

pairing
    variants whose every article names the true original; orphans (original not in the corpus)
    whose articles name none; originals reported as originals.
alignment
    clean paragraphs whose segments are all aligned to segments of their original paragraph
    (strict) or at least one of them (lenient); paragraphs tqa labels boilerplate are left out
    (they show in "clean paragraphs carrying boilerplate").
flags
    precision, recall and F1 per flag at paragraph level: recall over the labelled faults of the
    kinds the flag stands for (``shuffled``, ``truncated``, ``replaced``, ``spun`` are
    ``garbled``; every body paragraph of a ``translated_chrome`` page is ``untranslated``), false
    positives over clean paragraphs (for ``number_mismatch`` not those whose numbers differ
    upstream; for ``untranslated`` not those with a segment identical to its aligned original,
    counted apart).  An omission is found when an omission row's text lies in the removed original
    paragraph; a row in an original paragraph whose translation is clean is a false positive.
    Recall per fault kind too.
clean paragraphs
    the share of clean paragraphs carrying ``untranslated``, ``partially_translated``,
    ``garbled`` or labelled boilerplate.
boilerplate
    precision and recall of boilerplate over every block of every page (originals too): a block
    is predicted boilerplate when one of its segments is (``block`` or ``flags``).
gate
    a page's verdict is ``fail`` when one of its articles fails, else the articles' common
    verdict; the share of failing pages among variants with an untranslated, mixed or spun
    paragraph, among variants with any fault, among clean variants, and apart among unfaulted
    variants whose real translation differs from its original (English prose left, numbers
    changed, LibreOffice's missing-text placeholder: ``upstream_differs``); the verdicts of orphans.

Usage::

    python benchmarks/evaluate.py [--corpora libreoffice-help,debian-reference,manpages] [--split dev]
        [--size full|small] [--seed N] [--quick] [--corpus NAME=DIR ...] [--work DIR] [--json PATH]
        [--tqa "PYTHONPATH=CHECKOUT PYTHON -m tasks.cli"] [--luigi-cfg FILE] [--no-run] [--only RUN]

``--quick`` builds the small corpora (a few pages per language) for a CI smoke run.  ``--seed N``
draws another sample of the split's pages (``--split dev --seed 2``: the second development sample).  ``--corpus
NAME=DIR`` scores a corpus built earlier: ``DIR`` holds ``corpus/`` and ``labels.json`` (or, for
``manpages``, the corpus folder with its ``labels.json``).  ``--no-run`` rescores the reports
already in ``--work``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parent.parent
CORPORA = ("libreoffice-help", "debian-reference", "manpages")
RUNS = ("manifest", "nomanifest")
FLAGS = ("untranslated", "partially_translated", "garbled", "omission", "addition", "number_mismatch")
#: label kind -> the flag an auditor should raise
KIND_FLAG = {"untranslated": "untranslated", "translated_chrome": "untranslated",
             "partially_translated": "partially_translated", "shuffled": "garbled", "truncated": "garbled",
             "replaced": "garbled", "spun": "garbled", "omission": "omission", "addition": "addition",
             "number_mismatch": "number_mismatch"}
KINDS = tuple(KIND_FLAG)
GARBLING = ("shuffled", "truncated", "replaced", "spun")
#: page faults that put the source language (or spun English) on the page
LANGUAGE_FAULTS = {"untranslated", "partially_translated", "spun", "translated_chrome"}
VERDICTS = ("pass", "fail", "unverified", "reference", "missing")


# ---------------------------------------------------------------------------
# Corpora
# ---------------------------------------------------------------------------


@dataclass
class Corpus:
    """A labelled corpus: the folder tqa reads and the labels (schema 2) kept apart."""

    name: str
    split: str
    folder: Path
    labels: dict
    build_seconds: float | None = None


def build_corpus(name: str, split: str, size: str, work: Path, cache: Path | None, seed: int | None = None) -> Corpus:
    """Build corpus ``name`` under ``work`` (``seed``: another sample of the split's pages; the man
    pages have one); exits with a message when its packages are unavailable."""
    sys.path.insert(0, str(REPO))
    from tests.fixtures.debian import CorpusUnavailable

    t0 = time.monotonic()
    try:
        if name == "manpages":
            from tests.fixtures.bilingual import build_corpus as build_manpages

            out = work / "manpages"
            build_manpages(out / "corpus", cache, manifest=True)
            shutil.move(str(out / "corpus" / "labels.json"), str(out / "labels-bilingual.json"))
            labels = from_bilingual(json.loads((out / "labels-bilingual.json").read_text(encoding="utf-8")),
                                    out / "corpus")
            return Corpus(name, "-", out / "corpus", labels, round(time.monotonic() - t0, 1))
        from tests.fixtures.eval_corpora import build_corpus as build_eval

        out = work / f"{name}-{split}"
        labels = build_eval(name, out, split, size, cache, **({} if seed is None else {"seed": seed}))
        return Corpus(name, split, out / "corpus", labels, round(time.monotonic() - t0, 1))
    except CorpusUnavailable as exc:
        sys.exit(f"error: cannot build {name}: {exc}")


def load_corpus(name: str, folder: Path) -> Corpus:
    """A corpus built earlier: ``folder`` holds ``corpus/`` and ``labels.json`` (man pages: the corpus
    folder with its ``labels.json``)."""
    if (folder / "corpus").is_dir() and (folder / "labels.json").is_file():
        labels = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
        if labels.get("schema") != 2:
            sys.exit(f"error: {folder / 'labels.json'}: schema {labels.get('schema')!r}, expected 2")
        return Corpus(name, labels.get("split", "-"), folder / "corpus", labels)
    if (folder / "labels.json").is_file():
        raw = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
        if raw.get("schema") != 1:
            sys.exit(f"error: {folder / 'labels.json'}: schema {raw.get('schema')!r}, expected 1 (man pages)")
        return Corpus(name, "-", folder, from_bilingual(raw, folder))
    sys.exit(f"error: {folder}: no corpus/ and labels.json, nor a man-page corpus with labels.json")


def _paragraphs(path: Path) -> list[str]:
    if not path.is_file():
        return []
    return [p.strip() for p in path.read_text(encoding="utf-8").split("\n\n") if p.strip()]


#: The sections that close every coreutils man page the same way (where to report bugs, the licence, the
#: pointers to the full manual): the pages' frame. AUTHOR (each page's own credit line) is left unlabelled,
#: neither frame nor text; the other sections are the page's text.
MAN_FRAME_SECTIONS = frozenset({"REPORTING BUGS", "COPYRIGHT", "SEE ALSO"})
MAN_UNLABELLED_SECTIONS = frozenset({"AUTHOR"})


def _man_frame(kinds_texts: list[tuple[str, str]], heading_en: Callable[[int], str | None]) -> list[bool | None]:
    """Boilerplate labels of a man page's blocks: every block of the closing sections (``MAN_FRAME_SECTIONS``,
    their headings included) is frame, other blocks are not, other headings are not labelled (a section
    heading is structure, neither text nor frame). ``heading_en(i)`` is the English heading of block ``i``."""
    out: list[bool | None] = []
    section = None
    for i, (kind, _) in enumerate(kinds_texts):
        if kind == "title":
            section = heading_en(i)
        frame = section in MAN_FRAME_SECTIONS
        out.append(True if frame else (None if kind == "title" or section in MAN_UNLABELLED_SECTIONS else False))
    return out


def from_bilingual(raw: dict, folder: Path) -> dict:
    """The man-page labels (``tests/fixtures/bilingual.py``, schema 1) in the schema of ``eval_corpora``.

    Boilerplate is relabelled as frame: the closing sections every page shares (``_man_frame``), not
    the fixture's "recurs on three pages" (``--help display this help and exit`` is the text of an
    OPTIONS section, however many pages repeat it). ``garbled`` faults become ``replaced`` (a foreign
    paragraph) or ``shuffled`` by their method.
    """
    plabels: dict[str, list[dict]] = {}
    for p in raw["paragraphs"]:
        plabels.setdefault(p["doc"], []).append(p)
    faults = {(f["doc"], f["index"]): f for f in raw["faults"] if f["kind"] != "omission"}
    documents = []
    for d in raw["documents"]:
        doc = {"path": d["path"], "lang": d["lang"], "role": d["role"], "original": d["original"],
               "orphan": False, "distractor": bool(d.get("distractor")), "spun": d["path"].startswith("en-spun/"),
               "page_faults": [], "faults": [], "faulted": bool(d.get("faulted"))}
        if d["role"] == "original":
            texts = _paragraphs(folder / d["path"])
            kinds = [("title" if _man_heading(t) else "paragraph", t) for t in texts]
            frame = _man_frame(kinds, lambda i, kinds=kinds: kinds[i][1])
            doc["blocks"] = [{"index": i, "text": t, "kind": k, "boilerplate": frame[i], "chrome": None}
                             for i, (k, t) in enumerate(kinds)]
        else:
            blocks = []
            ordered = sorted(plabels.get(d["path"], []), key=lambda p: p["index"])
            english = _paragraphs(folder / d["original"]) if d.get("original") else []

            def heading_en(i: int, ordered: list = ordered, english: list = english) -> str | None:
                j = ordered[i]["original_index"]
                return english[j] if j is not None and j < len(english) else ordered[i]["text"]

            frame = _man_frame([(p["block"], p["text"]) for p in ordered], heading_en)
            for p, is_frame in zip(ordered, frame, strict=True):
                kind = p["fault"]
                if kind == "garbled":
                    method = faults.get((d["path"], p["index"]), {}).get("method")
                    kind = "replaced" if method == "foreign_paragraph" else "shuffled"
                frame_text = is_frame and not kind  # frame is not scored as text, as in eval_corpora
                blocks.append({"index": p["index"], "text": p["text"], "kind": p["block"],
                               "boilerplate": is_frame, "chrome": None,
                               "original_index": p["original_index"], "fault": kind,
                               "status": "unscored" if frame_text else p["status"],
                               "reason": "boilerplate" if frame_text else p["reason"],
                               "numbers_differ": bool(p["numbers_differ"])})
            doc["blocks"] = blocks
            doc["faults"] = sorted({b["fault"] for b in blocks if b["fault"]}
                                   | {f["kind"] for f in raw["faults"] if f["doc"] == d["path"]
                                      and f["kind"] == "omission"})
        documents.append(doc)
    omissions = [{"doc": f["doc"], "index": f["index"], "original_index": f["original_index"], "text": f["text"]}
                 for f in raw["faults"] if f["kind"] == "omission"]
    return {"schema": 2, "corpus": "manpages", "split": "-", "languages": ["sv"], "sources": raw.get("sources"),
            "seed": raw.get("seed"), "documents": documents, "omissions": omissions}


def _man_heading(text: str) -> bool:
    """A man page's section heading as the corpus writes it: a short line in capitals."""
    return text.isupper() and len(text.split()) <= 4


# ---------------------------------------------------------------------------
# Running tqa
# ---------------------------------------------------------------------------


def tqa_command(spec: str | None) -> tuple[list[str], dict[str, str]]:
    """The audit command and its environment.

    ``spec`` is a shell-like command whose leading ``NAME=VALUE`` words are environment settings;
    the default runs this checkout: ``PYTHONPATH=<repo> <this python> -m tasks.cli``.
    """
    if spec is None:
        return [sys.executable, "-m", "tasks.cli"], {"PYTHONPATH": str(REPO)}
    words = shlex.split(spec)
    env = {}
    while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
        k, v = words.pop(0).split("=", 1)
        env[k] = v
    if not words:
        sys.exit(f"error: --tqa {spec!r} names no command")
    return words, env


def default_config(env: dict[str, str]) -> Path:
    """The ``luigi.cfg`` of the tqa checkout the audit command runs: the first folder of its
    ``PYTHONPATH`` holding one, else this repository's."""
    for folder in env.get("PYTHONPATH", "").split(os.pathsep):
        if folder and (Path(folder) / "luigi.cfg").is_file():
            return Path(folder) / "luigi.cfg"
    return REPO / "luigi.cfg"


def copy_corpus(folder: Path, dest: Path, manifest: bool) -> Path:
    """Copy the documents of ``folder`` (never a ``labels.json``) to ``dest``, without ``manifest.csv``
    unless ``manifest``."""
    if dest.exists():
        shutil.rmtree(dest)
    skip = {"labels.json"} | (set() if manifest else {"manifest.csv"})

    def ignore(where: str, names: list[str]) -> set[str]:
        return {n for n in names if n in skip and Path(where) == folder}

    shutil.copytree(folder, dest, ignore=ignore)
    return dest


def remove_report(out: Path) -> None:
    """Remove a report and tqa's folder beside it (``.NAME.tqa``: its generations and work files), so
    that the next audit starts cold."""
    if out.is_symlink() or out.is_file():
        out.unlink()
    elif out.exists():
        shutil.rmtree(out)
    shutil.rmtree(out.with_name(f".{out.name}.tqa"), ignore_errors=True)


def run_audit(cmd: list[str], env: dict[str, str], corpus: Path, out: Path, cfg_dir: Path, timeout: float) -> dict:
    """Run ``CMD audit corpus --out out`` from ``cfg_dir``; exit code, seconds and the output's tail."""
    remove_report(out)
    full_env = {k: v for k, v in os.environ.items() if k != "LUIGI_CONFIG_PATH"}
    full_env.update(env)
    t0 = time.monotonic()
    try:
        proc = subprocess.run([*cmd, "audit", str(corpus.resolve()), "--out", str(out.resolve())],
                              capture_output=True, text=True, timeout=timeout, cwd=cfg_dir, env=full_env, check=False)
        rc, tail = proc.returncode, (proc.stdout + proc.stderr)[-2000:]
    except subprocess.TimeoutExpired as exc:
        rc, tail = None, f"timed out after {timeout}s: {exc}"
    except OSError as exc:
        rc, tail = None, f"cannot run {cmd[0]}: {exc}"
    return {"exit_code": rc, "seconds": round(time.monotonic() - t0, 1), "output_tail": tail}


# ---------------------------------------------------------------------------
# Reading a report
# ---------------------------------------------------------------------------


@dataclass
class Report:
    """The parts of a report the scoring reads; what is missing stays empty and is listed in ``problems``."""

    segments: list[dict] = field(default_factory=list)
    articles: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


_SEGMENT_COLUMNS = ("article_id", "doc_path", "original_article_id", "seg_id", "block", "text", "alignment",
                    "original_seg_ids", "original_text", "flags")
_ARTICLE_COLUMNS = ("article_id", "doc_path", "original_path", "role", "n_body", "verdict")


def _read_parquet(path: Path, columns: tuple[str, ...], problems: list[str]) -> list[dict]:
    if not path.is_file():
        problems.append(f"missing {path.name}")
        return []
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - a damaged file must not stop the evaluation
        problems.append(f"unreadable {path.name}: {exc}")
        return []
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        problems.append(f"{path.name} lacks {', '.join(missing)}")
    return frame.select([c for c in columns if c in frame.columns]).to_dicts()


def read_report(out: Path) -> Report:
    """``segments.parquet``, ``articles.parquet`` and ``summary.json`` of the report folder ``out``."""
    rep = Report()
    rep.segments = _read_parquet(out / "segments.parquet", _SEGMENT_COLUMNS, rep.problems)
    rep.articles = _read_parquet(out / "articles.parquet", _ARTICLE_COLUMNS, rep.problems)
    summary = out / "summary.json"
    if summary.is_file():
        try:
            rep.summary = json.loads(summary.read_text(encoding="utf-8"))
        except ValueError as exc:
            rep.problems.append(f"unreadable summary.json: {exc}")
    else:
        rep.problems.append("missing summary.json")
    contract = rep.summary.get("contract")
    if rep.summary and not (isinstance(contract, int) and contract >= 1):
        rep.problems.append(f"summary.json: contract {contract!r}, expected a number (1 or later)")
    return rep


# ---------------------------------------------------------------------------
# Matching segments to blocks
# ---------------------------------------------------------------------------

_BULLET = re.compile(r"^\s*(?:[•·▪‣◦\-*–]|\d{1,3}[.)])\s+")


def norm(text: str | None) -> str:
    """Text normalised for matching (NFKC, collapsed whitespace)."""
    if not text:
        return ""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def upstream_differs(doc: dict, originals: dict[str, dict] | None = None) -> bool:
    """Whether the real translation itself differs from its original where tqa checks: English prose
    left (:func:`upstream_untranslated`), or a body block whose numbers differ from its original's
    (``numbers_differ``: an older translation of another upstream version, "RFC 3548" for "RFC
    4648"), or LibreOffice's placeholder for a help text the translated page failed to embed ("D'oh!
    You found a bug (text/…/00000404.xhp#verz37 not found)."). No fault was planted there; a reviewer
    would flag it, so the page is not counted as clean."""
    return upstream_untranslated(doc, originals) or any(
        (b.get("numbers_differ") or _PLACEHOLDER.search(b["text"])) and not b.get("boilerplate")
        and b.get("kind") != "code" for b in doc["blocks"])


#: LibreOffice help's text for an embedded paragraph that is missing from the translated help.
_PLACEHOLDER = re.compile(r"You found a bug \(\S+ not found\)")


def upstream_untranslated(doc: dict, originals: dict[str, dict] | None = None) -> bool:
    """Whether the real translation itself left prose in English on this page: a block (a title
    too) identical to its original, with four words or more, that is not code or chrome (no fault
    was planted there; a reviewer would flag it, so the page is not counted as clean)."""
    from tests.fixtures.eval_model import is_code_like, word_count

    original = (originals or {}).get(doc.get("original") or "")

    def identical(b: dict) -> bool:
        if b.get("reason") == "identical":
            return True
        if b.get("reason") != "title" or original is None or b.get("original_index") is None:
            return False
        o = original["blocks"][b["original_index"]] if b["original_index"] < len(original["blocks"]) else None
        return o is not None and o["text"] == b["text"]

    return any(identical(b) and b.get("kind") != "code" and word_count(b["text"], doc["lang"]) >= 4
               and not is_code_like(b["text"], doc["lang"]) for b in doc["blocks"])


def map_segments(blocks: list[str], segments: list[str | None]) -> list[list[int]]:
    """For each segment (in reading order), the blocks it belongs to.

    A segment is looked for in the current block after the previous segment, then in the
    following blocks, then anywhere; a segment holding several whole blocks (merged by the
    auditor) belongs to each of them; failing all that, it is looked for with whitespace
    ignored.  Unmatched segments get an empty list.
    """
    nb = [norm(b) for b in blocks]
    nb_bare = ["".join(b.split()) for b in nb]
    out: list[list[int]] = []
    bi, off = 0, 0
    for seg in segments:
        text = norm(seg)
        if not text:
            out.append([])
            continue
        hit = None
        for cand in dict.fromkeys([text, _BULLET.sub("", text)]):
            if not cand:
                continue
            if bi < len(nb):
                pos = nb[bi].find(cand, off)
                if pos >= 0:
                    hit = (bi, pos + len(cand))
                    break
            for j in [*range(bi + 1, len(nb)), *range(bi + 1)]:
                pos = nb[j].find(cand)
                if pos >= 0:
                    hit = (j, pos + len(cand))
                    break
            if hit:
                break
        if hit:
            bi, off = hit
            out.append([bi])
            continue
        inside = [j for j, b in enumerate(nb) if b and b in text]
        if not inside:
            # the segmenter may join pieces with a space ("。 ."): compare without whitespace
            bare = "".join(text.split())
            inside = next(([j] for j in [bi, *range(bi + 1, len(nb)), *range(bi)] if j < len(nb)
                           and bare in nb_bare[j]), [])
        if inside:
            bi, off = inside[-1], len(nb[inside[-1]])
        out.append(inside)
    return out


def _article_order(article_id: str | None) -> tuple[int, str]:
    tail = (article_id or "").rsplit("-", 1)[-1]
    return (int(tail) if tail.isdigit() else 0, article_id or "")


#: report flags scored as another: a synonym-spun paragraph is a kind of garbling
FLAG_ALIASES = {"spun": "garbled"}


def _flags(seg: dict) -> set[str]:
    return {FLAG_ALIASES.get(f, f) for f in seg.get("flags") or []}


def _is_boilerplate(seg: dict) -> bool:
    return seg.get("block") == "boilerplate" or "boilerplate" in _flags(seg)


# ---------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------


def _group(doc: dict) -> str:
    return doc["lang"]


def page_verdict(articles: list[dict]) -> str:
    """A page's verdict from its articles': ``fail`` if one fails, else their most common verdict."""
    verdicts = [str(a.get("verdict")) for a in articles if a.get("verdict") is not None]
    if not verdicts:
        return "missing"
    if "fail" in verdicts:
        return "fail"
    return Counter(verdicts).most_common(1)[0][0]


def score(labels: dict, rep: Report) -> dict[str, Counter]:
    """Raw counts per group (a language; English holds originals and spun variants) for one report."""
    docs = {d["path"]: d for d in labels["documents"]}
    counts: dict[str, Counter] = {}

    def c(doc: dict) -> Counter:
        return counts.setdefault(_group(doc), Counter())

    arts: dict[str, list[dict]] = {}
    for a in rep.articles:
        arts.setdefault(a.get("doc_path"), []).append(a)
    segs: dict[str, list[dict]] = {}
    omission_rows: dict[str, list[dict]] = {}
    for s in rep.segments:
        if s.get("seg_id") is None or s.get("alignment") == "omission":
            omission_rows.setdefault(s.get("doc_path"), []).append(s)
        else:
            segs.setdefault(s.get("doc_path"), []).append(s)
    for rows in segs.values():
        rows.sort(key=lambda s: (_article_order(s.get("article_id")), s.get("seg_id") or 0))

    # segments of every page mapped to its blocks
    block_segs: dict[str, dict[int, list[dict]]] = {}
    seg_block: dict[tuple[str, int], tuple[str, list[int]]] = {}  # (article, seg) -> (doc, blocks)
    for path, doc in docs.items():
        rows = segs.get(path, [])
        texts = [b["text"] for b in doc["blocks"]]
        mapping = map_segments(texts, [s.get("text") for s in rows])
        per_block: dict[int, list[dict]] = {}
        for s, bis in zip(rows, mapping, strict=True):
            for bi in bis:
                per_block.setdefault(bi, []).append(s)
            seg_block[(s.get("article_id"), s.get("seg_id"))] = (path, bis)
        block_segs[path] = per_block
        g = c(doc)
        g["segments"] += len(rows)
        g["segments_unmatched"] += sum(1 for m in mapping if not m)

    for path, doc in docs.items():
        g = c(doc)
        doc_arts = arts.get(path, [])
        with_body = [a for a in doc_arts if (a.get("n_body") or 0) > 0] or doc_arts
        # pairing
        if doc["role"] == "original":
            g["originals"] += 1
            g["originals_ok"] += bool(doc_arts) and all(a.get("original_path") is None
                                                       and a.get("role", "original") == "original"
                                                       for a in doc_arts)
        elif doc.get("orphan") or doc.get("original") is None:
            g["orphans"] += 1
            g["orphans_ok"] += bool(doc_arts) and all(a.get("original_path") is None for a in doc_arts)
        else:
            g["variants"] += 1
            g["variants_ok"] += bool(with_body) and all(a.get("original_path") == doc["original"] for a in with_body)
        # boilerplate, over every block
        per_block = block_segs[path]
        for b in doc["blocks"]:
            if b.get("boilerplate") is None:
                continue
            got = per_block.get(b["index"], [])
            predicted = any(_is_boilerplate(s) for s in got)
            if not got:
                g["blocks_not_found"] += 1
            if b["boilerplate"]:
                g["bp_tp" if predicted else "bp_fn"] += 1
            elif predicted:
                g["bp_fp"] += 1
            else:
                g["bp_tn"] += 1
        # the gate
        verdict = page_verdict(doc_arts)
        if doc["role"] == "variant":
            faults = set(doc.get("faults") or []) | set(doc.get("page_faults") or [])
            if doc.get("orphan") or doc.get("original") is None:
                g[f"orphan_{verdict}"] += 1
            elif not faults and upstream_differs(doc, docs):
                g["pages_upstream"] += 1
                g["pages_upstream_fail"] += verdict == "fail"
            elif faults:
                g["pages_faulted"] += 1
                g["pages_faulted_fail"] += verdict == "fail"
                if faults & LANGUAGE_FAULTS:
                    g["pages_language"] += 1
                    g["pages_language_fail"] += verdict == "fail"
            else:
                g["pages_clean"] += 1
                g["pages_clean_fail"] += verdict == "fail"
        else:
            g[f"original_{verdict}"] += 1
        if doc["role"] != "variant" or doc.get("original") is None:
            continue
        # paragraphs of a variant with a known original
        orig = docs.get(doc["original"])
        tc = "translated_chrome" in (doc.get("page_faults") or [])
        clean_orig: set[int] = set()
        for b in doc["blocks"]:
            got = per_block.get(b["index"], [])
            flags = set().union(*(_flags(s) for s in got)) if got else set()
            if b.get("fault"):
                kind = "translated_chrome" if tc and b["fault"] == "untranslated" else b["fault"]
                want = KIND_FLAG[kind]
                hit = want in flags
                g[f"kind_n_{kind}"] += 1
                g[f"kind_hit_{kind}"] += hit
                g[f"kind_any_{kind}"] += bool(flags & set(FLAGS))
                g[f"tp_{want}" if hit else f"fn_{want}"] += 1
                continue
            if b.get("status") != "clean" or _PLACEHOLDER.search(b["text"]):
                continue  # LibreOffice's placeholder for a missing text is no translation to judge
            if b.get("original_index") is not None:
                clean_orig.add(b["original_index"])
            g["clean"] += 1
            bp = bool(got) and all(_is_boilerplate(s) for s in got)
            for f in ("untranslated", "partially_translated", "garbled"):
                g[f"clean_{f}"] += f in flags
            g["clean_boilerplate"] += any(_is_boilerplate(s) for s in got)
            for f in FLAGS:
                if f == "omission" or f not in flags:
                    continue
                if f == "untranslated" and any(s.get("text") and s.get("text") == s.get("original_text")
                                               for s in got):
                    g["upstream_untranslated_flagged"] += 1
                    continue
                if f == "number_mismatch" and b.get("numbers_differ"):
                    continue
                g[f"fp_{f}"] += 1
            # alignment
            if bp:
                g["align_boilerplate"] += 1
                continue
            g["align_n"] += 1
            k = b.get("original_index")
            targets = []
            for s in got:
                t: set[int] = set()
                for osid in s.get("original_seg_ids") or []:
                    where = seg_block.get((s.get("original_article_id"), osid))
                    if where and where[0] == doc["original"]:
                        t.update(where[1])
                targets.append(t)
            g["align_strict"] += bool(got) and all(t == {k} for t in targets)
            g["align_lenient"] += bool(got) and any(k in t for t in targets)
        # omissions
        removed = [o for o in labels.get("omissions", []) if o["doc"] == doc["path"]]
        orig_blocks = [norm(b["text"]) for b in orig["blocks"]] if orig else []
        found: set[int] = set()
        wrong: set[int] = set()  # original paragraphs with a clean translation, reported omitted
        for r in omission_rows.get(path, []):
            text = norm(r.get("original_text") or r.get("text"))
            if not text:
                continue
            hits = [j for j, o in enumerate(removed) if text in norm(o["text"])]
            if hits:
                found.update(hits)
                continue
            for oi, para in enumerate(orig_blocks):
                if text in para:
                    if oi in clean_orig:
                        wrong.add(oi)
                    break
        g["fp_omission"] += len(wrong)
        g["tp_omission"] += len(found)
        g["fn_omission"] += len(removed) - len(found)
        g["kind_n_omission"] += len(removed)
        g["kind_hit_omission"] += len(found)
        g["kind_any_omission"] += len(found)
    return counts


def _pct(num: float, den: float) -> float | None:
    return round(100.0 * num / den, 1) if den else None


def figures(g: Counter) -> dict:
    """The figures of one group's counts (percentages rounded to 0.1; None where nothing was counted)."""
    out: dict = {
        "pairing": {"variants": [g["variants_ok"], g["variants"], _pct(g["variants_ok"], g["variants"])],
                    "orphans": [g["orphans_ok"], g["orphans"], _pct(g["orphans_ok"], g["orphans"])],
                    "originals": [g["originals_ok"], g["originals"], _pct(g["originals_ok"], g["originals"])]},
        "alignment": {"clean": g["align_n"], "strict": _pct(g["align_strict"], g["align_n"]),
                      "lenient": _pct(g["align_lenient"], g["align_n"]),
                      "left_out_as_boilerplate": g["align_boilerplate"]},
        "flags": {},
        "kinds": {},
        "clean": {"n": g["clean"], **{f: _pct(g[f"clean_{f}"], g["clean"])
                                      for f in ("untranslated", "partially_translated", "garbled", "boilerplate")},
                  "upstream_untranslated_flagged": g["upstream_untranslated_flagged"]},
        "boilerplate": {"tp": g["bp_tp"], "fp": g["bp_fp"], "fn": g["bp_fn"],
                        "precision": _pct(g["bp_tp"], g["bp_tp"] + g["bp_fp"]),
                        "recall": _pct(g["bp_tp"], g["bp_tp"] + g["bp_fn"]),
                        "blocks_not_found": g["blocks_not_found"]},
        "gate": {"language_fault_pages_failing": [g["pages_language_fail"], g["pages_language"],
                                                  _pct(g["pages_language_fail"], g["pages_language"])],
                 "faulted_pages_failing": [g["pages_faulted_fail"], g["pages_faulted"],
                                           _pct(g["pages_faulted_fail"], g["pages_faulted"])],
                 "upstream_pages_failing": [g["pages_upstream_fail"], g["pages_upstream"],
                                                         _pct(g["pages_upstream_fail"], g["pages_upstream"])],
                 "clean_pages_failing": [g["pages_clean_fail"], g["pages_clean"],
                                         _pct(g["pages_clean_fail"], g["pages_clean"])],
                 "orphans": {v: g[f"orphan_{v}"] for v in VERDICTS if g[f"orphan_{v}"]},
                 "originals": {v: g[f"original_{v}"] for v in VERDICTS if g[f"original_{v}"]}},
        "segments": {"n": g["segments"], "unmatched": g["segments_unmatched"]},
    }
    for f in FLAGS:
        tp, fp, fn = g[f"tp_{f}"], g[f"fp_{f}"], g[f"fn_{f}"]
        p, r = _pct(tp, tp + fp), _pct(tp, tp + fn)
        f1 = round(2 * p * r / (p + r), 1) if p is not None and r is not None and p + r else None
        out["flags"][f] = {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": f1}
    for k in KINDS:
        n = g[f"kind_n_{k}"]
        if n:
            out["kinds"][k] = {"n": n, "flag": KIND_FLAG[k], "recall": _pct(g[f"kind_hit_{k}"], n),
                               "any_flag": _pct(g[f"kind_any_{k}"], n)}
    return out


def grouped(counts: dict[str, Counter], languages: list[str]) -> dict[str, dict]:
    """Figures per language, for English and for all groups together."""
    out = {}
    for lang in [*languages, "en"]:
        if lang in counts:
            out[lang] = {"counts": dict(sorted(counts[lang].items())), "figures": figures(counts[lang])}
    total: Counter = Counter()
    for g in counts.values():
        total.update(g)
    out["all"] = {"counts": dict(sorted(total.items())), "figures": figures(total)}
    return out


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------


def _fmt(v: float | str | None) -> str:
    if v is None:
        return "–"
    return f"{v:.1f}%" if isinstance(v, float) else str(v)


def _frac(x: list) -> str:
    return f"{x[0]}/{x[1]} ({_fmt(x[2])})" if x[1] else "–"


def markdown_table(groups: dict[str, dict]) -> str:
    """One run's figures: a row per measure, a column per group."""
    cols = list(groups)
    fig = {k: v["figures"] for k, v in groups.items()}
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, get: Callable[[dict], str]) -> None:
        rows.append((label, [get(fig[c]) for c in cols]))

    row("pairing: variants → true original", lambda f: _frac(f["pairing"]["variants"]))
    row("pairing: orphans left unpaired", lambda f: _frac(f["pairing"]["orphans"]))
    row("pairing: originals reported as originals", lambda f: _frac(f["pairing"]["originals"]))
    row("alignment of clean paragraphs: strict / lenient", lambda f: (
        f"{_fmt(f['alignment']['strict'])} / {_fmt(f['alignment']['lenient'])} (n={f['alignment']['clean']})"
        if f["alignment"]["clean"] else "–"))
    def prf(x: dict) -> str:
        if not x["tp"] + x["fp"] + x["fn"]:
            return "–"
        return f"{_fmt(x['precision'])} / {_fmt(x['recall'])} / {_fmt(x['f1'])} ({x['tp']}/{x['fp']}/{x['fn']})"

    for flag in FLAGS:
        row(f"{flag}: P / R / F1", lambda f, flag=flag: prf(f["flags"][flag]))
    for kind in GARBLING:
        row(f"garbled recall: {kind}", lambda f, kind=kind: (
            f"{_fmt(f['kinds'][kind]['recall'])} (n={f['kinds'][kind]['n']})" if kind in f["kinds"] else "–"))
    row("translated_chrome paragraphs: untranslated recall", lambda f: (
        f"{_fmt(f['kinds']['translated_chrome']['recall'])} (n={f['kinds']['translated_chrome']['n']})"
        if "translated_chrome" in f["kinds"] else "–"))
    for flag in ("untranslated", "partially_translated", "garbled", "boilerplate"):
        row(f"clean paragraphs carrying {flag}", lambda f, flag=flag: (
            f"{_fmt(f['clean'][flag])} (n={f['clean']['n']})" if f["clean"]["n"] else "–"))
    row("boilerplate (all blocks): P / R", lambda f: (
        f"{_fmt(f['boilerplate']['precision'])} / {_fmt(f['boilerplate']['recall'])} "
        f"({f['boilerplate']['tp']}/{f['boilerplate']['fp']}/{f['boilerplate']['fn']})"))
    row("gate: pages with untranslated/mixed/spun text failing",
        lambda f: _frac(f["gate"]["language_fault_pages_failing"]))
    row("gate: pages with any fault failing", lambda f: _frac(f["gate"]["faulted_pages_failing"]))
    row("gate: clean pages failing", lambda f: _frac(f["gate"]["clean_pages_failing"]))
    row("gate: unfaulted pages whose real translation differs (English left, numbers changed), failing",
        lambda f: _frac(f["gate"]["upstream_pages_failing"]))
    row("gate: orphans' verdicts", lambda f: ", ".join(f"{k} {v}" for k, v in f["gate"]["orphans"].items()) or "–")
    row("segments not found in the pages", lambda f: f"{f['segments']['unmatched']} of {f['segments']['n']}")
    head = "| measure | " + " | ".join(cols) + " |"
    lines = [head, "| --- |" + " --- |" * len(cols)]
    lines += [f"| {label} | " + " | ".join(vals) + " |" for label, vals in rows]
    return "\n".join(lines)


def kinds_table(groups: dict[str, dict]) -> str:
    """Recall per fault kind (the flag expected, and any issue flag at all), per group."""
    cols = list(groups)
    lines = ["| fault kind (expected flag) | " + " | ".join(cols) + " |", "| --- |" + " --- |" * len(cols)]
    for kind in KINDS:
        cells = []
        for col in cols:
            k = groups[col]["figures"]["kinds"].get(kind)
            cells.append(f"{_fmt(k['recall'])} / {_fmt(k['any_flag'])} (n={k['n']})" if k else "–")
        if any(cell != "–" for cell in cells):
            lines.append(f"| {kind} ({KIND_FLAG[kind]}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def print_results(results: dict) -> None:
    """Markdown tables of every corpus and run, then all corpora together."""
    for name, res in results["corpora"].items():
        print(f"\n## {name} (split {res['split']})\n")
        print(f"{res['documents']} documents; sources: "
              + ", ".join(f"{k} {v}" for k, v in sorted((res.get("sources") or {}).items())))
        for run, r in res["runs"].items():
            audit = r.get("audit") or {}
            print(f"\n### {name}, {'with' if run == 'manifest' else 'without'} manifest"
                  f" (audit exit {audit.get('exit_code', '–')}, {audit.get('seconds', '–')} s)\n")
            for p in r["problems"]:
                print(f"report problem: {p}\n")
            print(markdown_table(r["groups"]))
            print("\nrecall per fault kind: expected flag / any issue flag\n")
            print(kinds_table(r["groups"]))
    if len(results["corpora"]) > 1:
        for run, groups in results["overall"].items():
            print(f"\n## all corpora, {'with' if run == 'manifest' else 'without'} manifest\n")
            print(markdown_table(groups))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    sys.path.insert(0, str(REPO))  # the labels' helpers (tests/fixtures), also for --no-run
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpora", default=",".join(CORPORA),
                    help=f"comma-separated corpora to build and score (default: {','.join(CORPORA)})")
    ap.add_argument("--split", choices=("dev", "test"), default="dev")
    ap.add_argument("--size", choices=("full", "small"), default="full")
    ap.add_argument("--seed", type=int, help="draw another sample of the split's pages (default: the builder's seed)")
    ap.add_argument("--quick", action="store_true", help="small corpora (a CI smoke run)")
    ap.add_argument("--corpus", action="append", default=[], metavar="NAME=DIR",
                    help="score a corpus built earlier (repeatable); replaces building NAME")
    ap.add_argument("--cache", type=Path, help="cache of .deb files for building the corpora")
    ap.add_argument("--work", type=Path, help="folder for corpora, copies and reports (default: temporary)")
    ap.add_argument("--json", type=Path, help="also write every figure and count as JSON here")
    ap.add_argument("--tqa", help="audit command, leading NAME=VALUE words set its environment "
                                  "(default: PYTHONPATH=<this checkout> <this python> -m tasks.cli)")
    ap.add_argument("--luigi-cfg", type=Path,
                    help="the luigi.cfg the audits run with (default: the one of the checkout on the --tqa "
                         "command's PYTHONPATH, else this repository's)")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per audit")
    ap.add_argument("--no-run", action="store_true", help="score the reports already in --work")
    ap.add_argument("--only", choices=RUNS, help="run one of the two audits only")
    args = ap.parse_args(argv)
    if args.no_run and args.work is None:
        ap.error("--no-run needs --work")
    cmd, env = (None, None) if args.no_run else tqa_command(args.tqa)
    luigi_cfg = args.luigi_cfg or default_config(env or {})
    if not luigi_cfg.is_file():
        ap.error(f"--luigi-cfg {luigi_cfg}: no such file")
    size = "small" if args.quick else args.size
    given = {}
    for spec in args.corpus:
        name, sep, folder = spec.partition("=")
        if not sep or name not in CORPORA:
            ap.error(f"--corpus {spec!r}: expected NAME=DIR with NAME one of {', '.join(CORPORA)}")
        given[name] = Path(folder)
    names = [n for n in args.corpora.split(",") if n] if not given or args.corpora != ",".join(CORPORA) \
        else list(given)
    unknown = [n for n in names if n not in CORPORA]
    if unknown:
        ap.error(f"unknown corpora {', '.join(unknown)}: expected {', '.join(CORPORA)}")

    tmp = None
    if args.work is None:
        tmp = tempfile.TemporaryDirectory(prefix="tqa-evaluate-")
        work = Path(tmp.name)
    else:
        work = args.work.resolve()
        work.mkdir(parents=True, exist_ok=True)
    try:
        cfg_dir = work / "config"
        cfg_dir.mkdir(exist_ok=True)
        shutil.copyfile(luigi_cfg, cfg_dir / "luigi.cfg")
        results: dict = {"split": args.split, "size": size, "tqa": args.tqa or f"PYTHONPATH={REPO} "
                         f"{sys.executable} -m tasks.cli", "luigi_cfg": str(luigi_cfg), "corpora": {}, "overall": {}}
        totals: dict[str, dict[str, Counter]] = {}
        for name in names:
            if name in given:
                corpus = load_corpus(name, given[name])
            elif args.no_run and (work / f"{name}-{args.split}" / "labels.json").is_file():
                corpus = load_corpus(name, work / f"{name}-{args.split}")
            elif args.no_run and name == "manpages" and (work / "manpages" / "labels-bilingual.json").is_file():
                raw = json.loads((work / "manpages" / "labels-bilingual.json").read_text(encoding="utf-8"))
                corpus = Corpus(name, "-", work / "manpages" / "corpus", from_bilingual(raw, work / "manpages" /
                                                                                        "corpus"))
            else:
                corpus = build_corpus(name, args.split, size, work, args.cache, args.seed)
            langs = list(corpus.labels.get("languages") or [])
            res = {"split": corpus.split, "sources": corpus.labels.get("sources"),
                   "documents": len(corpus.labels["documents"]), "build_seconds": corpus.build_seconds,
                   "counts": corpus.labels.get("counts"), "runs": {}}
            for run in RUNS:
                if args.only and run != args.only:
                    continue
                out = work / "reports" / f"{name}-{corpus.split}-{run}"
                audit = None
                if cmd is not None:
                    copy = copy_corpus(corpus.folder, work / "copies" / f"{name}-{run}", manifest=run == "manifest")
                    print(f"auditing {name} ({run}) ...", file=sys.stderr)
                    audit = run_audit(cmd, env, copy, out, cfg_dir, args.timeout)
                    if audit["exit_code"] != 0:
                        print(f"warning: tqa audit of {name} ({run}) exited {audit['exit_code']}:\n"
                              f"{audit['output_tail']}", file=sys.stderr)
                rep = read_report(out)
                counts = score(corpus.labels, rep)
                for g, cnt in counts.items():
                    totals.setdefault(run, {}).setdefault(g, Counter()).update(cnt)
                res["runs"][run] = {"audit": audit, "problems": rep.problems, "contract": rep.summary.get("contract"),
                                    "stages": rep.summary.get("stages", {}), "groups": grouped(counts, langs)}
            results["corpora"][name] = res
        for run, counts in totals.items():
            langs = sorted(g for g in counts if g != "en")
            results["overall"][run] = grouped(counts, langs)
        print_results(results)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
