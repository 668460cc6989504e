"""Score ``tqa audit`` against the held-out English/Swedish man-page corpus.

The corpus (see ``tests/fixtures/bilingual.py``) is built, or taken from
``--corpus DIR`` (a folder holding ``labels.json``).  ``tqa audit`` then runs
twice, on copies of the corpus without ``labels.json``: once with
``manifest.csv`` and once without it.  Each report is read as described in
``docs/output.md`` (``segments.parquet``, ``articles.parquet``,
``summary.json``) and scored:

pairing accuracy
    share of variant documents whose articles all name the true original in
    ``original_path``; originals (including distractors without any variant)
    are right when they are reported as originals with no ``original_path``.
alignment quality
    for the clean paragraphs (no injected fault, body prose, known counterpart)
    the share whose segments were all aligned to segments of the corresponding
    original paragraph (strict), or at least one of them (lenient).
per-flag precision / recall, at paragraph level
    a variant paragraph carries flag F when any segment whose text is contained
    in that paragraph carries F (a segment that spans several paragraphs counts
    for each paragraph it contains).  ``spun`` faults count as ``garbled``.
    Recall is over the labelled faults of the matching kind; false positives are
    counted over clean paragraphs only (paragraphs with another fault and
    unscored paragraphs are ignored; for ``number_mismatch`` clean paragraphs
    whose numbers already differ upstream are ignored too).  An omission is
    detected when the text of an omission row (``original_text``) is contained
    in the removed original paragraph; an omission row pointing at an original
    paragraph whose variant paragraph is clean is a false positive.

Usage::

    python benchmarks/eval_bilingual.py [--corpus DIR] [--work DIR] [--json PATH]

``--no-run`` scores reports already in ``--work`` (``report-manifest`` and
``report-nomanifest``) without running ``tqa``.
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

REPO = Path(__file__).resolve().parent.parent

FLAGS = ("untranslated", "partially_translated", "garbled", "number_mismatch", "addition",
         "omission")
#: label kind -> flag an auditor should report
KIND_FLAG = {"untranslated": "untranslated", "partially_translated": "partially_translated",
             "garbled": "garbled", "spun": "garbled", "number_mismatch": "number_mismatch",
             "addition": "addition", "omission": "omission"}
RUNS = ("manifest", "nomanifest")
#: report flags counted as another: a synonym-spun paragraph is a kind of garbling
FLAG_ALIASES = {"spun": "garbled"}


# ---------------------------------------------------------------------------
# Corpus and audit runs
# ---------------------------------------------------------------------------


def load_corpus(corpus: Path | None, work: Path, cache: Path | None,
                opaque_names: bool) -> tuple[Path, dict]:
    """Return the corpus folder and its labels, building the corpus when needed."""
    if corpus is not None:
        labels_path = corpus / "labels.json"
        if not labels_path.is_file():
            sys.exit(f"error: {labels_path} not found")
        return corpus, json.loads(labels_path.read_text(encoding="utf-8"))
    sys.path.insert(0, str(REPO))
    from tests.fixtures.bilingual import CorpusUnavailable, build_corpus

    corpus = work / "corpus"
    try:
        labels = build_corpus(corpus, cache, manifest=True, opaque_names=opaque_names)
    except CorpusUnavailable as exc:
        sys.exit(f"error: cannot build the corpus: {exc}")
    return corpus, labels


def copy_corpus(corpus: Path, dest: Path, manifest: bool) -> Path:
    """Copy the documents of ``corpus`` (never ``labels.json``) to ``dest``."""
    if dest.exists():
        shutil.rmtree(dest)
    skip = {"labels.json"} | (set() if manifest else {"manifest.csv"})

    def ignore(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if n in skip and Path(folder) == corpus}

    shutil.copytree(corpus, dest, ignore=ignore)
    if manifest and not (dest / "manifest.csv").is_file():
        print(f"warning: {corpus} has no manifest.csv; the 'manifest' run has none either",
              file=sys.stderr)
    return dest


def tqa_command(explicit: str | None) -> list[str]:
    """The ``tqa`` console script: ``--tqa``, else the one beside this Python, else PATH."""
    if explicit:
        return shlex.split(explicit)
    here = Path(sys.executable).parent / "tqa"
    if here.is_file():
        return [str(here)]
    found = shutil.which("tqa")
    if found:
        return [found]
    sys.exit(f"error: no tqa console script next to {sys.executable} or on PATH "
             "(install the project, or pass --tqa)")


def run_audit(cmd: list[str], corpus: Path, out: Path, timeout: float) -> dict:
    """Run ``tqa audit corpus --out out``; returns exit code, seconds and output tail."""
    if out.exists():
        shutil.rmtree(out)
    t0 = time.monotonic()
    try:
        proc = subprocess.run([*cmd, "audit", str(corpus), "--out", str(out)],
                              capture_output=True, text=True, timeout=timeout)
        rc, tail = proc.returncode, (proc.stdout + proc.stderr)[-2000:]
    except subprocess.TimeoutExpired as exc:
        rc, tail = None, f"timed out after {timeout}s: {exc}"
    return {"exit_code": rc, "seconds": round(time.monotonic() - t0, 2), "output_tail": tail}


# ---------------------------------------------------------------------------
# Reading a report
# ---------------------------------------------------------------------------


@dataclass
class Report:
    """The parts of a report the scoring needs (missing parts stay empty)."""

    segments: list[dict] = field(default_factory=list)
    articles: list[dict] = field(default_factory=list)
    summary: dict = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _read_parquet(path: Path, problems: list[str]) -> list[dict]:
    if not path.is_file():
        problems.append(f"missing {path.name}")
        return []
    try:
        return pl.read_parquet(path).to_dicts()
    except Exception as exc:  # a damaged file must not stop the evaluation
        problems.append(f"unreadable {path.name}: {exc}")
        return []


def read_report(out: Path) -> Report:
    """Read ``segments.parquet``, ``articles.parquet`` and ``summary.json`` of a report."""
    rep = Report()
    rep.segments = _read_parquet(out / "segments.parquet", rep.problems)
    rep.articles = _read_parquet(out / "articles.parquet", rep.problems)
    summary = out / "summary.json"
    if summary.is_file():
        try:
            rep.summary = json.loads(summary.read_text(encoding="utf-8"))
        except ValueError as exc:
            rep.problems.append(f"unreadable summary.json: {exc}")
    else:
        rep.problems.append("missing summary.json")
    if rep.summary and rep.summary.get("contract") not in (1, 2):
        rep.problems.append(f"contract {rep.summary.get('contract')!r}, expected 1 or 2")
    return rep


# ---------------------------------------------------------------------------
# Matching segments to labelled paragraphs
# ---------------------------------------------------------------------------

_BULLET = re.compile(r"^[-*•·–]\s+")


def norm(text: str | None) -> str:
    """Text normalised for containment tests (NFKC, collapsed whitespace)."""
    if not text:
        return ""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _article_order(article_id: str | None) -> tuple[int, str]:
    tail = (article_id or "").rsplit("-", 1)[-1]
    return (int(tail) if tail.isdigit() else 0, article_id or "")


def map_segments(paragraphs: list[str], segments: list[dict]) -> dict[int, list[int]]:
    """Map each segment (by position in ``segments``) to the paragraphs it belongs to.

    Segments are taken in document order; each is looked up first from the
    paragraph the previous segment matched, then anywhere.  A segment
    contained in a paragraph maps to it; one that contains whole paragraphs
    (the auditor merged them) maps to each of those.
    """
    paras = [norm(p) for p in paragraphs]
    result: dict[int, list[int]] = {}
    cursor = 0
    for si, seg in enumerate(segments):
        text = norm(seg.get("text"))
        if not text:
            continue
        candidates = [text]
        stripped = _BULLET.sub("", text)
        if stripped != text and stripped:
            candidates.append(stripped)
        hit = None
        for t in candidates:
            order = list(range(cursor, len(paras))) + list(range(cursor))
            hit = next((i for i in order if t in paras[i]), None)
            if hit is not None:
                break
        if hit is not None:
            result[si] = [hit]
            cursor = hit
            continue
        inside = [i for i, p in enumerate(paras) if p and p in text]
        if inside:
            result[si] = inside
            cursor = inside[-1]
    return result


# ---------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------


def _pct(num: int, den: int) -> float | None:
    return round(100.0 * num / den, 1) if den else None


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value)


def score(labels: dict, corpus: Path, rep: Report) -> dict:
    """All figures for one report; see the module docstring."""
    variants = [d for d in labels["documents"] if d["role"] == "variant"]
    originals = [d for d in labels["documents"] if d["role"] == "original"]

    # --- pairing -----------------------------------------------------------
    by_doc_articles: dict[str, list[dict]] = {}
    for a in rep.articles:
        by_doc_articles.setdefault(a.get("doc_path"), []).append(a)
    pairing_ok, pairing_errors = 0, []
    for d in variants:
        arts = by_doc_articles.get(d["path"], [])
        got = sorted({str(a.get("original_path")) for a in arts})
        if arts and all(a.get("original_path") == d["original"] for a in arts):
            pairing_ok += 1
        else:
            pairing_errors.append({"doc": d["path"], "expected": d["original"],
                                   "got": got or "no article"})
    orig_ok = 0
    for d in originals:
        arts = by_doc_articles.get(d["path"], [])
        if arts and all(a.get("original_path") is None and a.get("role", "original")
                        == "original" for a in arts):
            orig_ok += 1
        else:
            pairing_errors.append({"doc": d["path"], "expected": None,
                                   "got": sorted({str(a.get("original_path")) for a in arts})
                                   or "no article"})
    by_lang: dict[str, list[int]] = {}
    for d in variants:
        ok = not any(e["doc"] == d["path"] for e in pairing_errors)
        slot = by_lang.setdefault(d["lang"], [0, 0])
        slot[0] += ok
        slot[1] += 1

    # --- segments per document ----------------------------------------------
    segs_by_doc: dict[str, list[dict]] = {}
    omission_rows: dict[str, list[dict]] = {}
    for s in rep.segments:
        if s.get("seg_id") is None or s.get("alignment") == "omission":
            omission_rows.setdefault(s.get("doc_path"), []).append(s)
        else:
            segs_by_doc.setdefault(s.get("doc_path"), []).append(s)
    for rows in segs_by_doc.values():
        rows.sort(key=lambda s: (_article_order(s.get("article_id")), s.get("seg_id") or 0))

    def paragraphs_of(path: str) -> list[str]:
        f = corpus / path
        if not f.is_file():
            return []
        return [p.strip() for p in f.read_text(encoding="utf-8").split("\n\n") if p.strip()]

    # (article_id, seg_id) of original segments -> original paragraph indices
    orig_seg_para: dict[tuple[str, int], list[int]] = {}
    unmatched = {"variant": 0, "original": 0}
    total_segs = {"variant": 0, "original": 0}
    for d in originals:
        rows = segs_by_doc.get(d["path"], [])
        mapping = map_segments(paragraphs_of(d["path"]), rows)
        total_segs["original"] += len(rows)
        unmatched["original"] += len(rows) - len(mapping)
        for si, paras in mapping.items():
            orig_seg_para[(rows[si].get("article_id"), rows[si].get("seg_id"))] = paras

    # paragraph labels per variant doc
    plabels: dict[str, dict[int, dict]] = {}
    for p in labels["paragraphs"]:
        plabels.setdefault(p["doc"], {})[p["index"]] = p

    flagged: dict[tuple[str, int], set[str]] = {}  # (doc, para) -> flags
    # paragraphs holding a segment identical to its aligned original: untranslated upstream
    upstream_untranslated: set[tuple[str, int]] = set()
    upstream = {"untranslated": 0}
    align_strict = align_lenient = align_total = 0
    for d in variants:
        rows = segs_by_doc.get(d["path"], [])
        mapping = map_segments(paragraphs_of(d["path"]), rows)
        total_segs["variant"] += len(rows)
        unmatched["variant"] += len(rows) - len(mapping)
        para_segs: dict[int, list[dict]] = {}
        for si, paras in mapping.items():
            for pi in paras:
                para_segs.setdefault(pi, []).append(rows[si])
                flagged.setdefault((d["path"], pi), set()).update(
                    FLAG_ALIASES.get(f, f) for f in _as_list(rows[si].get("flags")))
                if rows[si].get("text") and rows[si].get("text") == rows[si].get("original_text"):
                    upstream_untranslated.add((d["path"], pi))
        for pi, lab in plabels.get(d["path"], {}).items():
            if lab["status"] != "clean":
                continue
            segs = para_segs.get(pi, [])
            if segs and all(s.get("block") == "boilerplate" for s in segs):
                continue  # labelled boilerplate by tqa: not aligned on purpose
            align_total += 1
            targets: list[set[int]] = []
            for s in segs:
                oid = s.get("original_article_id")
                got: set[int] = set()
                for osid in _as_list(s.get("original_seg_ids")):
                    got.update(orig_seg_para.get((oid, osid), []))
                targets.append(got)
            k = lab["original_index"]
            if segs and all(t == {k} for t in targets):
                align_strict += 1
            if segs and any(k in t for t in targets):
                align_lenient += 1

    # --- flags -----------------------------------------------------------
    faults = labels["faults"]
    per_flag: dict[str, dict] = {}
    for flag in FLAGS:
        per_flag[flag] = {"tp": 0, "fp": 0, "fn": 0}
    for f in faults:
        flag = KIND_FLAG[f["kind"]]
        if flag == "omission":
            continue
        hit = flag in flagged.get((f["doc"], f["index"]), set())
        per_flag[flag]["tp" if hit else "fn"] += 1
    for doc, labs in plabels.items():
        for pi, lab in labs.items():
            if lab["status"] != "clean":
                continue
            got = flagged.get((doc, pi), set())
            for flag in FLAGS:
                if flag == "omission" or flag not in got:
                    continue
                if flag == "untranslated" and (doc, pi) in upstream_untranslated:
                    upstream["untranslated"] += 1  # the real translation left this sentence in English
                    continue
                if flag == "number_mismatch" and lab.get("numbers_differ"):
                    continue
                per_flag[flag]["fp"] += 1

    # omissions: rows' original text against the original's paragraphs
    for d in variants:
        rows = omission_rows.get(d["path"], [])
        removed = [f for f in faults if f["doc"] == d["path"] and f["kind"] == "omission"]
        found = set()
        orig_paras = paragraphs_of(d["original"]) if d["original"] else []
        # original paragraph index -> status of its variant paragraph
        clean_orig = {lab["original_index"] for lab in plabels.get(d["path"], {}).values()
                      if lab["status"] == "clean"}
        for r in rows:
            text = norm(r.get("original_text") or r.get("text"))
            if not text:
                continue
            hit = [j for j, f in enumerate(removed) if text in norm(f["text"])]
            if hit:
                found.update(hit)
                continue
            for oi, para in enumerate(orig_paras):
                if text in norm(para):
                    if oi in clean_orig:
                        per_flag["omission"]["fp"] += 1
                    break
        per_flag["omission"]["tp"] += len(found)
        per_flag["omission"]["fn"] += len(removed) - len(found)

    for c in per_flag.values():
        c["precision"] = _pct(c["tp"], c["tp"] + c["fp"])
        c["recall"] = _pct(c["tp"], c["tp"] + c["fn"])

    # --- confusion: label kind -> share of its paragraphs carrying each flag --
    rows_by_kind: dict[str, list[set[str]]] = {}
    for f in faults:
        if f["kind"] != "omission":
            rows_by_kind.setdefault(f["kind"], []).append(flagged.get((f["doc"], f["index"]),
                                                                      set()))
    for doc, labs in plabels.items():
        for pi, lab in labs.items():
            if lab["status"] == "clean":
                rows_by_kind.setdefault("clean", []).append(flagged.get((doc, pi), set()))
    confusion = {}
    for kind, sets in rows_by_kind.items():
        confusion[kind] = {"n": len(sets), **{
            flag: _pct(sum(1 for s in sets if flag in s), len(sets))
            for flag in FLAGS if flag != "omission"}}

    verdicts = {a.get("doc_path"): a.get("verdict") for a in rep.articles}
    faulted_fail = sum(1 for d in variants if d.get("faulted") and verdicts.get(d["path"])
                       == "fail")
    clean_pass = sum(1 for d in variants if not d.get("faulted") and verdicts.get(d["path"])
                     == "pass")

    return {
        "problems": rep.problems,
        "pairing": {
            "variants_correct": pairing_ok, "variants": len(variants),
            "accuracy": _pct(pairing_ok, len(variants)),
            "by_lang": {k: {"correct": v[0], "of": v[1], "accuracy": _pct(v[0], v[1])}
                        for k, v in sorted(by_lang.items())},
            "originals_correct": orig_ok, "originals": len(originals),
            "errors": pairing_errors,
        },
        "alignment": {"clean_paragraphs": align_total,
                      "strict": _pct(align_strict, align_total),
                      "lenient": _pct(align_lenient, align_total)},
        "segments": {"variant": total_segs["variant"], "original": total_segs["original"],
                     "unmatched_variant": unmatched["variant"],
                     "unmatched_original": unmatched["original"]},
        "flags": per_flag,
        "upstream_untranslated_flagged": upstream["untranslated"],
        "confusion": confusion,
        "verdicts": {"faulted_docs_failed": faulted_fail,
                     "faulted_docs": sum(1 for d in variants if d.get("faulted")),
                     "clean_docs_passed": clean_pass,
                     "clean_docs": sum(1 for d in variants if not d.get("faulted"))},
        "stages": rep.summary.get("stages", {}),
        "input_errors": len(rep.summary.get("errors", []) or []),
    }


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------


def _fmt(v) -> str:
    return "-" if v is None else (f"{v:.1f}%" if isinstance(v, float) else str(v))


def print_table(labels: dict, corpus: Path, results: dict) -> None:
    """Print the figures of both runs side by side."""
    kinds: dict[str, int] = {}
    for f in labels["faults"]:
        kinds[f["kind"]] = kinds.get(f["kind"], 0) + 1
    n_var = sum(1 for d in labels["documents"] if d["role"] == "variant")
    n_orig = len(labels["documents"]) - n_var
    print(f"corpus {corpus}: {n_orig} originals, {n_var} variants, faults "
          + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
    runs = [r for r in RUNS if r in results]
    w = 24
    title = {"manifest": "with manifest", "nomanifest": "without manifest"}
    head = f"{'':34}" + "".join(f"{title[r]:>{w}}" for r in runs)
    print(head)
    print("-" * len(head))

    def line(label: str, get) -> None:
        print(f"{label:34}" + "".join(f"{get(results[r]):>{w}}" for r in runs))

    line("audit exit code / seconds", lambda r: f"{r['audit'].get('exit_code')} / "
         f"{r['audit'].get('seconds')}s" if r.get("audit") else "not run")
    line("report problems", lambda r: str(len(r["score"]["problems"])))
    line("pairing: variants", lambda r: f"{r['score']['pairing']['variants_correct']}/"
         f"{r['score']['pairing']['variants']} {_fmt(r['score']['pairing']['accuracy'])}")
    for lang in sorted({k for r in runs for k in results[r]["score"]["pairing"]["by_lang"]}):
        def by_lang(r: dict, lang: str = lang) -> str:
            v = r["score"]["pairing"]["by_lang"].get(lang)
            return f"{v['correct']}/{v['of']} {_fmt(v['accuracy'])}" if v else "-"
        line(f"  {lang} variants", by_lang)
    line("pairing: originals unpaired", lambda r: f"{r['score']['pairing']['originals_correct']}/"
         f"{r['score']['pairing']['originals']}")
    line("clean paragraphs left in English upstream, flagged", lambda r: str(r["score"]["upstream_untranslated_flagged"]))
    line("alignment of clean paragraphs", lambda r: f"{_fmt(r['score']['alignment']['strict'])}"
         f" ({_fmt(r['score']['alignment']['lenient'])} lenient)")
    line("segments not found in text", lambda r: f"{r['score']['segments']['unmatched_variant']}"
         f"+{r['score']['segments']['unmatched_original']} of "
         f"{r['score']['segments']['variant'] + r['score']['segments']['original']}")
    line("faulted docs failing", lambda r: f"{r['score']['verdicts']['faulted_docs_failed']}/"
         f"{r['score']['verdicts']['faulted_docs']}")
    line("clean docs passing", lambda r: f"{r['score']['verdicts']['clean_docs_passed']}/"
         f"{r['score']['verdicts']['clean_docs']}")
    print()
    print(f"{'flag (paragraph level)':34}" + "".join(f"{'P / R  (tp/fp/fn)':>{w}}" for _ in runs))
    for flag in FLAGS:
        line(f"  {flag}", lambda r, flag=flag: (
            lambda c: f"{_fmt(c['precision'])} / {_fmt(c['recall'])} "
                      f"({c['tp']}/{c['fp']}/{c['fn']})")(r["score"]["flags"][flag]))
    for r in runs:
        conf = results[r]["score"]["confusion"]
        if not conf:
            continue
        print()
        print(f"share of paragraphs flagged, by label ({'with' if r == 'manifest' else 'without'}"
              " manifest)")
        cols = [f for f in FLAGS if f != "omission"]
        short = {"untranslated": "untr", "partially_translated": "partial", "garbled": "garbled",
                 "number_mismatch": "number", "addition": "addition"}
        print(f"{'label':22}{'n':>5}" + "".join(f"{short[c]:>10}" for c in cols))
        order = ["untranslated", "partially_translated", "garbled", "spun", "number_mismatch",
                 "addition", "clean"]
        for kind in order:
            if kind in conf:
                row = conf[kind]
                print(f"{kind:22}{row['n']:>5}" + "".join(f"{_fmt(row[c]):>10}" for c in cols))
    for r in runs:
        errs = results[r]["score"]["pairing"]["errors"]
        probs = results[r]["score"]["problems"]
        if errs or probs:
            print()
            print(f"{'with' if r == 'manifest' else 'without'} manifest:")
            for p in probs:
                print(f"  report problem: {p}")
            for e in errs[:15]:
                print(f"  pairing: {e['doc']} expected {e['expected']} got {e['got']}")
            if len(errs) > 15:
                print(f"  … {len(errs) - 15} more pairing errors")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, help="existing corpus folder with labels.json")
    ap.add_argument("--cache", type=Path, help="cache of .deb files for building the corpus")
    ap.add_argument("--work", type=Path,
                    help="working folder for corpus copies and reports (default: temporary)")
    ap.add_argument("--json", type=Path, help="also write the figures as JSON here")
    ap.add_argument("--tqa", help="tqa executable (default: the one beside this Python)")
    ap.add_argument("--timeout", type=float, default=3600, help="seconds per audit")
    ap.add_argument("--opaque-names", action="store_true",
                    help="build the corpus with variant names unrelated to their originals")
    ap.add_argument("--no-run", action="store_true",
                    help="score the reports already in --work instead of running tqa")
    ap.add_argument("--only", choices=RUNS, help="run only one of the two audits")
    args = ap.parse_args(argv)

    if args.no_run and args.work is None:
        ap.error("--no-run needs --work")
    tmp = None
    if args.work is None:
        tmp = tempfile.TemporaryDirectory(prefix="tqa-eval-")
        work = Path(tmp.name)
    else:
        work = args.work
        work.mkdir(parents=True, exist_ok=True)
    try:
        corpus, labels = load_corpus(args.corpus, work, args.cache, args.opaque_names)
        cmd = None if args.no_run else tqa_command(args.tqa)
        results: dict[str, dict] = {}
        for run in RUNS:
            if args.only and run != args.only:
                continue
            out = work / f"report-{run}"
            audit = None
            if cmd is not None:
                copy = copy_corpus(corpus, work / f"corpus-{run}", manifest=run == "manifest")
                audit = run_audit(cmd, copy, out, args.timeout)
                if audit["exit_code"] != 0:
                    print(f"warning: tqa audit ({run}) exited {audit['exit_code']}:\n"
                          f"{audit['output_tail']}", file=sys.stderr)
            results[run] = {"audit": audit, "score": score(labels, corpus, read_report(out))}
        print_table(labels, corpus, results)
        if args.json:
            payload = {"corpus": str(corpus), "sources": labels.get("sources"),
                       "seed": labels.get("seed"), "runs": results}
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n",
                                 encoding="utf-8")
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
