"""Speed and memory of ``tqa audit`` on a large corpus built from real text.

    python benchmarks/bench_audit.py [--pairs 2000] [--work /tmp/tqa-bench] [--json PATH]
                                     [--workers 1] [--seed N] [--rounds 2] [--profile]

Run it from the repository root with the project's Python (the one that has ``tqa``'s
dependencies installed).  It takes a few minutes for the default 2,000 pairs; use a smaller
``--pairs`` for a quick look.

The corpus
    Real text only, multiplied deterministically (``--seed``) into distinct documents under
    ``WORK/corpus`` (rebuilt on every run; nothing is committed):

    * English/Swedish manual pages: the real en/sv pairs of ``tests/fixtures/bilingual.py``
      (Debian man pages, downloads cached under ``~/.cache/tqa``).  Only the paragraphs the
      fixture labels as aligned and not faulted are used, so each unit is a clean parallel text.
      A Swedish *edition* page (``sv/NNNNN.txt``) holds 2-4 such articles and is paired by the
      manifest with an English original page (``en/NNNNN.txt``) holding the same articles in
      English.
    * English news articles: the articles of the English seed pages ``corpora/demo/000_*`` and
      ``004_*``.  An English *edition* page (``en-edition/NNNNN.txt``) republishes 2-4 of them
      and is paired with an English original page (same-language pairs).
    * A few copies of the Swedish seed edition ``corpora/demo/002_*`` (Swedish chrome and titles,
      largely untranslated English bodies), unpaired, as the real-world failure they are.

    Every copy of an article is made distinct: a numbered title prefix or suffix, a seeded subset
    of its sections or paragraphs, and every standalone number shifted by a page-specific amount
    (the same in an original and its variant, so no number mismatch is introduced).  Pages are
    laid out like the seed pages: site chrome, then articles separated by two blank lines and a
    title, each ending with a "continue reading" line, and a newsletter footer.  About 1% of the
    variant articles carry one injected fault (untranslated, partially translated, garbled,
    spun, number mismatch, omission or addition); ``WORK/corpus-faults.json`` lists them.
    ``manifest.csv`` (``path,lang,original``) pairs every variant page with its original; the
    demo ``glossary.csv`` is copied too.

What is measured (one run, in this order)
    rounds     ``--rounds`` (default 2) interleaved rounds of a cold audit and the yardstick; the
               fastest of each is reported and gives the ratio (the per-round ratios are shown
               too). The speed of a shared 2-core machine drifts by a fifth over minutes;
               interleaving puts both sides of the ratio under the same drift.
    cold       ``python -m tasks.cli audit`` on an empty report folder, as a subprocess under
               ``/usr/bin/time -v`` (peak RSS); wall time and segments/second, where segments
               are the rows of ``segments.parquet`` with a non-null ``text`` (without GNU time,
               peak RSS comes from ``getrusage(RUSAGE_CHILDREN)``).  With ``--workers 1`` the
               cold time is also split by stage, from the times the work files under
               ``.REPORT.tqa/work`` were written (tasks run one after another).
    no-change  the same command again, nothing changed
    1% change  one sentence (real text, in the page's language) appended to 1% of the
               documents, then the same command again; the work files rewritten are counted
               per stage
    yardstick  (i) ``pipeline.langid.identify`` over every segment text of the report, with
               the audit's own ``[langid]`` settings, in a fresh subprocess (interpreter start,
               imports and model loading count as they do in the audit), plus (ii) sacrebleu
               chrF++ (``CHRF(word_order=2).sentence_score``) over every aligned group of the
               report that has an ``original_text`` (the group's variant segments joined,
               against the original text), whatever the languages.  The chrF++ time over the
               same-language groups only is shown as well.
    ratios     cold / yardstick (target <= 2) and no-change / cold (target <= 5%)

The Luigi task count is derived from ``summary.json`` (``run.shards``): 4 tasks per shard
(extract, langid, audit, report) plus 3 corpus-wide ones (structure, pair, the corpus).

``--profile`` then runs the cold audit once more under ``cProfile`` (``--workers 1``, a fresh
report folder) and prints the 30 functions with the largest cumulative time, then the 30 with
the largest own time.  ``--json PATH`` writes every figure to PATH.

Reading the last lines: copies of one text recur across documents, so the audit labels their
short paragraphs (12 words or fewer) as recurring boilerplate; an article left with no other
body text then merges with the next one.  "pages split into the articles written" and "pairs
found as intended" show how much of the corpus this affects; it is a property of a multiplied
corpus, not a fault the corpus was built to contain.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEMO = REPO / "corpora" / "demo"
SEED = 20240611

#: site chrome of the seed pages (English pages 000/004, Swedish edition 002)
CHROME = {
    "en": {"header": "Connect with us", "more": "Continue Reading",
           "footer": "Subscribe To our Newsletter\nWe promise not to spam you. Unsubscribe at any time.\n"
                     "Invalid email address"},
    "sv": {"header": "Ta kontakt med oss", "more": "Fortsätt läsa",
           "footer": "Prenumerera på vårt nyhetsbrev\nVi lovar att inte spamma dig. Avsluta prenumerationen "
                     "när som helst.\nOgiltig e-postadress"},
}
#: numbered title templates, (English, Swedish); an original and its variant use the same one
TITLE_TEMPLATES = [("Manual {n}: {t}", "Manual {n}: {t}"), ("{t} (edition {n})", "{t} (utgåva {n})"),
                   ("Reference {n}: {t}", "Referens {n}: {t}"), ("{t}, part {n}", "{t}, del {n}")]
NEWS_TITLE_TEMPLATES = ["{t} (update {n})", "Report {n}: {t}", "{t} – part {n}", "Issue {n}: {t}"]
NUMBER = re.compile(r"(?<![\w.,\-])\d+(?![\w]|[.,]\d)")
MAN_SHARE = 0.7  # share of the pages that are Swedish editions of manual pages
FAULT_SHARE = 0.01  # share of variant articles with an injected fault
CHANGE_SHARE = 0.01  # share of documents touched before the third run


# ---------------------------------------------------------------------------------------------
# source units: one parallel article each


@dataclass
class Unit:
    """A real article as (block, original paragraph, variant paragraph) triples."""

    kind: str  # "man" (en -> sv) or "news" (en -> en)
    name: str
    title_en: str
    title_var: str
    paras: list[tuple[str, str, str]]  # block ("title"/"paragraph"), original text, variant text

    @property
    def var_lang(self) -> str:
        return "sv" if self.kind == "man" else "en"


def man_units(bilingual_dir: Path) -> tuple[list[Unit], list[str], list[str]]:
    """Clean parallel manual pages from the bilingual fixture, and pools of real en/sv sentences."""
    sys.path.insert(0, str(REPO))
    from tests.fixtures.bilingual import build_corpus

    labels = build_corpus(bilingual_dir)
    docs = {d["path"]: d for d in labels["documents"]}
    by_doc: dict[str, list[dict]] = {}
    for p in labels["paragraphs"]:
        by_doc.setdefault(p["doc"], []).append(p)
    units = []
    for path, paras in sorted(by_doc.items()):
        doc = docs[path]
        if doc["lang"] != "sv" or doc["role"] != "variant":
            continue
        en = (bilingual_dir / doc["original"]).read_text(encoding="utf-8").split("\n\n")
        en = [e.strip() for e in en]
        triples = [(p["block"], en[p["original_index"]], p["text"])
                   for p in sorted(paras, key=lambda p: p["index"])
                   if p["original_index"] is not None and p["status"] != "fault"]
        names = [(o, v) for b, o, v in triples if b == "paragraph"]
        if len(triples) < 6 or not names:
            continue
        units.append(Unit("man", Path(path).stem, names[0][0], names[0][1], triples))
    en_pool = [o for u in units for b, o, v in u.paras if b == "paragraph" and 12 <= len(o.split()) <= 40]
    sv_pool = [v for u in units for b, o, v in u.paras if b == "paragraph" and 12 <= len(v.split()) <= 40]
    return units, en_pool, sv_pool


def news_units() -> list[Unit]:
    """The articles of the English seed pages (teaser title, body paragraphs)."""
    units = []
    for seed in sorted(DEMO.glob("000_*.txt")) + sorted(DEMO.glob("004_*.txt")):
        sections = re.split(r"\n{3,}", seed.read_text(encoding="utf-8").strip())
        i = 1  # sections[0] is the site header
        while i < len(sections):
            title = sections[i].strip()
            body = sections[i + 1].split("\n\n") if i + 1 < len(sections) else []
            i += 2
            body = [b.strip() for b in body if b.strip()]
            if body and _same_title(body[0], title):
                body = body[1:]
            while body and (body[-1] == CHROME["en"]["more"] or body[-1].startswith("Subscribe To our")):
                body.pop()
            if body and body[-1].endswith("\n" + CHROME["en"]["more"]):
                body[-1] = body[-1][: -len(CHROME["en"]["more"])].rstrip()
            if len(body) < 3:
                continue
            paras = [("paragraph", b, b) for b in body]
            units.append(Unit("news", f"{seed.stem[:3]}-{len(units)}", title, title, paras))
    return units


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _same_title(a: str, b: str) -> bool:
    norm = lambda s: re.sub(r"\W+", "", s.lower())
    return norm(a) == norm(b)


# ---------------------------------------------------------------------------------------------
# making copies distinct


def shift_numbers(orig: str, var: str, delta: int) -> tuple[str, str]:
    """Shift every standalone number of a paragraph pair by ``delta`` when both hold the same ones."""
    a, b = NUMBER.findall(orig), NUMBER.findall(var)
    if not a or sorted(a) != sorted(b):
        return orig, var

    def sub(m: re.Match) -> str:
        return str(int(m.group(0)) + delta).zfill(len(m.group(0)))

    return NUMBER.sub(sub, orig), NUMBER.sub(sub, var)


def copy_paras(unit: Unit, rng: random.Random, delta: int) -> list[tuple[str, str | None, str | None]]:
    """A seeded subset of the unit's sections (man) or paragraphs (news), numbers shifted."""
    if unit.kind == "man":
        sections: list[list[tuple[str, str, str]]] = []
        for t in unit.paras:
            if t[0] == "title" or not sections:
                sections.append([])
            sections[-1].append(t)
        keep = sections[:2] + [s for s in sections[2:] if rng.random() < 0.7]
        chosen = [t for s in keep for t in s]
    else:
        first, rest = unit.paras[:2], unit.paras[2:]
        chosen = first + [t for t in rest if rng.random() < 0.85]
    return [(b, *shift_numbers(o, v, delta)) for b, o, v in chosen]


# ---------------------------------------------------------------------------------------------
# injected faults


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-ZÅÄÖ\"“])", text) if s]


def _body_index(paras: list, rng: random.Random, min_words: int = 8, need=None) -> int | None:
    cands = [i for i, (b, o, v) in enumerate(paras)
             if b == "paragraph" and o and v and len(v.split()) >= min_words and (need is None or need(o, v))]
    return rng.choice(cands) if cands else None


def inject_fault(kind: str, paras: list, unit: Unit, rng: random.Random, pools: dict[str, list[str]]) -> dict | None:
    """Change ``paras`` in place; returns a description of the fault, or None when it does not fit."""
    if kind == "untranslated" and unit.var_lang != "en":
        i = _body_index(paras, rng)
        if i is None:
            return None
        b, o, v = paras[i]
        paras[i] = (b, o, o)
        return {"kind": kind, "text": o}
    if kind == "partially_translated" and unit.var_lang != "en":
        i = _body_index(paras, rng, 12)
        if i is None:
            return None
        b, o, v = paras[i]
        vs, os_ = _sentences(v), _sentences(o)
        if len(vs) >= 2 and len(vs) == len(os_):
            k = len(vs) // 2
            new = " ".join(vs[:k] + os_[k:])
        else:
            vw, ow = v.split(), o.split()
            new = " ".join(vw[: max(3, len(vw) // 2)] + ow[len(ow) // 2:])
        paras[i] = (b, o, new)
        return {"kind": kind, "text": new}
    if kind == "garbled":
        i = _body_index(paras, rng, 10)
        if i is None:
            return None
        b, o, v = paras[i]
        toks = v.split()
        rng.shuffle(toks)
        new = " ".join(toks)
        paras[i] = (b, o, new)
        return {"kind": kind, "text": new}
    if kind == "spun" and unit.var_lang == "en":
        from tests.fixtures.bilingual import SYNONYMS

        def has_synonym(o: str, v: str) -> bool:
            return any(w.lower() in SYNONYMS for w in re.findall(r"[A-Za-z]+", v))

        i = _body_index(paras, rng, need=has_synonym)
        if i is None:
            return None
        b, o, v = paras[i]

        def sub(m: re.Match) -> str:
            w = m.group(0)
            rep = SYNONYMS.get(w.lower())
            if rep is None or w not in (w.lower(), w.lower().capitalize()):
                return w
            return rep.capitalize() if w[0].isupper() else rep

        new = re.sub(r"(?<![\w\-])[A-Za-z]+(?![\w\-])", sub, v)
        paras[i] = (b, o, new)
        return {"kind": kind, "text": new}
    if kind == "number_mismatch":
        i = _body_index(paras, rng, 4, need=lambda o, v: bool(NUMBER.search(v)))
        if i is None:
            return None
        b, o, v = paras[i]
        m = rng.choice(list(NUMBER.finditer(v)))
        new = v[:m.start()] + str(int(m.group(0)) * 3 + 7) + v[m.end():]
        paras[i] = (b, o, new)
        return {"kind": kind, "text": new, "number": m.group(0)}
    if kind == "omission":
        i = _body_index(paras, rng, 10)
        if i is None:
            return None
        b, o, v = paras[i]
        paras[i] = (b, o, None)
        return {"kind": kind, "text": o}
    if kind == "addition":
        i = _body_index(paras, rng, 4)
        if i is None:
            return None
        extra = rng.choice(pools[unit.var_lang])
        paras.insert(i + 1, ("paragraph", None, extra))
        return {"kind": kind, "text": extra}
    return None


# ---------------------------------------------------------------------------------------------
# pages


def render_page(lang: str, articles: list[tuple[str, list[str]]]) -> str:
    """A page laid out like the seed pages: header, articles after two blank lines, footer."""
    c = CHROME[lang]
    parts = [c["header"]]
    for title, paras in articles:
        parts.append(title + "\n\n\n" + "\n\n".join(paras + [c["more"]]))
    return "\n\n\n".join(parts) + "\n\n" + c["footer"] + "\n"


def demo_edition(n: int, delta: int) -> str:
    """A distinct copy of the Swedish seed edition: numbered titles, shifted numbers."""
    text = next(DEMO.glob("002_*.txt")).read_text(encoding="utf-8")
    sections = re.split(r"(\n{3,})", text)
    out = []
    for s in sections:
        if s.strip() and "\n" not in s.strip() and len(s.split()) <= 20 and s.strip() != CHROME["sv"]["header"]:
            s = f"{s.strip()} (utgåva {n})"
        out.append(s)
    return NUMBER.sub(lambda m: str(int(m.group(0)) + delta), "".join(out))


@dataclass
class Corpus:
    root: Path
    documents: int = 0
    pages: dict[str, int] = field(default_factory=dict)
    article_pairs: dict[str, int] = field(default_factory=dict)
    articles: int = 0
    faults: list[dict] = field(default_factory=list)
    bytes: int = 0
    units: dict[str, int] = field(default_factory=dict)
    expected: dict[str, str] = field(default_factory=dict)  # variant doc -> original doc
    n_articles: dict[str, int] = field(default_factory=dict)  # doc -> articles written
    pools: dict[str, list[str]] = field(default_factory=dict)


def build(work: Path, n_pairs: int, seed: int) -> Corpus:
    """Write WORK/corpus with at least ``n_pairs`` variant/original article pairs."""
    rng = random.Random(seed)
    root = work / "corpus"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    man, en_pool, sv_pool = man_units(work / "bilingual")
    news = news_units()
    en_pool += [o for u in news for b, o, v in u.paras if 12 <= len(o.split()) <= 40]
    pools = {"en": en_pool, "sv": sv_pool}
    corpus = Corpus(root, units={"man (en->sv)": len(man), "news (en->en)": len(news)}, pools=pools)
    corpus.pages = {"sv edition (man)": 0, "en edition (news)": 0, "en original": 0, "sv edition (demo, unpaired)": 0}
    corpus.article_pairs = {"en->sv": 0, "en->en": 0}
    queues: dict[str, list[Unit]] = {"man": [], "news": []}

    def take(kind: str, k: int) -> list[Unit]:
        got: list[Unit] = []
        while len(got) < k:
            if not queues[kind]:
                queues[kind] = list(man if kind == "man" else news)
                rng.shuffle(queues[kind])
            u = queues[kind].pop()
            if all(u.name != g.name for g in got):
                got.append(u)
            elif len({x.name for x in queues[kind]} - {g.name for g in got}) == 0:
                queues[kind] = []
        return got

    n_faults = max(7, round(FAULT_SHARE * n_pairs))
    fault_at = set(rng.sample(range(n_pairs), min(n_faults, n_pairs)))
    man_kinds = ["untranslated", "partially_translated", "garbled", "number_mismatch", "omission", "addition"]
    news_kinds = ["spun", "garbled", "number_mismatch", "omission", "addition"]
    manifest = [("path", "lang", "original")]
    made = page = 0
    while made < n_pairs:
        page += 1
        kind = "man" if rng.random() < MAN_SHARE else "news"
        k = min(rng.choice([2, 3, 3, 4]), n_pairs - made)
        delta = 1 + rng.randrange(49)
        var_lang = "sv" if kind == "man" else "en"
        orig_path = f"en/{page:05d}.txt"
        var_path = f"{'sv' if kind == 'man' else 'en-edition'}/{page:05d}.txt"
        orig_articles, var_articles = [], []
        for j, unit in enumerate(take(kind, k)):
            paras = copy_paras(unit, rng, delta)
            if made in fault_at:
                kinds = man_kinds if kind == "man" else news_kinds
                for attempt in range(len(kinds)):
                    fk = kinds[(len(corpus.faults) + attempt) % len(kinds)]
                    f = inject_fault(fk, paras, unit, rng, pools)
                    if f:
                        corpus.faults.append({"doc": var_path, "article": j + 1, "source": unit.name, **f})
                        break
            n = page * 10 + j
            if kind == "man":  # a title starts with a capital: "Chmod - change file mode bits, part 7"
                te, tv = TITLE_TEMPLATES[rng.randrange(len(TITLE_TEMPLATES))]
                title_o, title_v = te.format(n=n, t=_cap(unit.title_en)), tv.format(n=n, t=_cap(unit.title_var))
            else:
                title_o = title_v = NEWS_TITLE_TEMPLATES[rng.randrange(len(NEWS_TITLE_TEMPLATES))].format(
                    n=n, t=unit.title_en)
            orig_articles.append((title_o, [o for b, o, v in paras if o is not None]))
            var_articles.append((title_v, [v for b, o, v in paras if v is not None]))
            made += 1
            corpus.article_pairs["en->sv" if kind == "man" else "en->en"] += 1
        for path, lang, arts in ((orig_path, "en", orig_articles), (var_path, var_lang, var_articles)):
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).write_text(render_page(lang, arts), encoding="utf-8")
        manifest += [(orig_path, "en", ""), (var_path, var_lang, orig_path)]
        corpus.expected[var_path] = orig_path
        corpus.n_articles[orig_path] = corpus.n_articles[var_path] = len(orig_articles)
        corpus.pages["en original"] += 1
        corpus.pages["sv edition (man)" if kind == "man" else "en edition (news)"] += 1
        corpus.articles += 2 * len(orig_articles)
    for i in range(max(1, n_pairs // 500)):
        path = f"sv-demo/{i + 1:03d}.txt"
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(demo_edition(i + 1, 1 + rng.randrange(97)), encoding="utf-8")
        manifest.append((path, "sv", ""))
        corpus.pages["sv edition (demo, unpaired)"] += 1
        corpus.articles += 2
    with open(root / "manifest.csv", "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(manifest)
    shutil.copy(DEMO / "glossary.csv", root / "glossary.csv")
    (work / "corpus-faults.json").write_text(json.dumps(corpus.faults, indent=1, ensure_ascii=False), encoding="utf-8")
    docs = [p for p in root.rglob("*.txt")]
    corpus.documents = len(docs)
    corpus.bytes = sum(p.stat().st_size for p in docs)
    return corpus


def touch_share(corpus: Corpus, share: float, seed: int) -> list[str]:
    """Append one real sentence (in the page's language) to ``share`` of the documents."""
    rng = random.Random(seed + 1)
    docs = sorted(p.relative_to(corpus.root).as_posix() for p in corpus.root.rglob("*.txt"))
    chosen = rng.sample(docs, max(1, math.ceil(share * len(docs))))
    for path in chosen:
        lang = "en" if path.startswith("en") else "sv"
        sentence = _sentences(rng.choice(corpus.pools[lang]))[0]
        with open(corpus.root / path, "a", encoding="utf-8") as f:
            f.write("\n" + sentence + "\n")
    return chosen


# ---------------------------------------------------------------------------------------------
# runs


def run_audit(corpus: Path, out: Path, workers: int, log: Path, profile: Path | None = None) -> dict:
    """Run ``tqa audit`` as a subprocess; wall time, peak RSS (KiB) and exit status."""
    cmd = [sys.executable]
    if profile:
        cmd += ["-m", "cProfile", "-o", str(profile)]
    cmd += ["-m", "tasks.cli", "audit", str(corpus), "--out", str(out), "--workers", str(workers), "--quiet"]
    gnu_time = shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)
    timefile = log.with_suffix(".time")
    if gnu_time and not profile:
        cmd = [gnu_time, "-v", "-o", str(timefile)] + cmd
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.time()
    t0 = time.perf_counter()
    with open(log, "w", encoding="utf-8") as f:
        proc = subprocess.run(cmd, cwd=REPO, stdout=f, stderr=subprocess.STDOUT, check=False)
    wall = time.perf_counter() - t0
    rss_kib, how = None, None
    if gnu_time and not profile and timefile.exists():
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", timefile.read_text())
        if m:
            rss_kib, how = int(m.group(1)), "/usr/bin/time -v"
    if rss_kib is None:
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        rss_kib, how = after, "getrusage(RUSAGE_CHILDREN)" + ("" if after > before else " (max of all runs so far)")
    if proc.returncode != 0:
        sys.stderr.write(log.read_text(encoding="utf-8")[-4000:])
        raise SystemExit(f"tqa audit exited with {proc.returncode}; see {log}")
    return {"wall_s": wall, "peak_rss_kib": rss_kib, "rss_source": how, "rc": proc.returncode, "started": started}


def work_files_since(out: Path, since: float) -> dict[str, tuple[int, int]]:
    """Per stage: (work files written after ``since``, work files in all)."""
    from pipeline.layout import layout

    res = {}
    for stage in ("extract", "langid", "structure", "pair", "score", "final", "report"):
        files = [p for p in (layout(out).work / stage).glob("*") if p.suffix == ".parquet" or stage == "report"]
        files = [p for p in files if not p.name.endswith(".articles.parquet")]
        res[stage] = (sum(p.stat().st_mtime >= since for p in files), len(files))
    return res


def remove_report(out: Path) -> None:
    """Remove a report and tqa's folder beside it (its generations and work files): the next audit is cold."""
    from pipeline.layout import layout

    if out.is_symlink() or out.is_file():
        out.unlink()
    elif out.exists():
        shutil.rmtree(out)
    shutil.rmtree(layout(out).home, ignore_errors=True)


def stage_times(out: Path, t_start: float) -> dict[str, float]:
    """Seconds per stage of a ``--workers 1`` run, from the times its work files were written.

    Tasks run one after another, so a task's time is the gap between the last file of the task
    before it and its own last file.  The first extract shard includes the start of the process
    (imports, corpus scan, scheduling); the audit shards include the corpus task's own set-up.
    """
    from pipeline.layout import layout

    ends: dict[tuple[str, str], float] = {}
    for stage_dir in layout(out).work.iterdir():
        if not stage_dir.is_dir():
            continue
        for f in stage_dir.iterdir():
            key = (stage_dir.name, f.name[:4] if stage_dir.name in ("extract", "langid", "score", "report") else "")
            mtime = max((g.stat().st_mtime for g in f.iterdir()), default=f.stat().st_mtime) if f.is_dir() \
                else f.stat().st_mtime
            ends[key] = max(ends.get(key, 0.0), mtime)
    finished = sorted((t, stage) for (stage, _), t in ends.items())
    totals: dict[str, float] = {}
    prev = t_start
    for t, stage in finished:
        totals[stage] = totals.get(stage, 0.0) + (t - prev)
        prev = t
    totals["corpus (merge, index, summary)"] = (out / "summary.json").stat().st_mtime - prev
    return totals


def langid_only(texts_path: str) -> None:
    """Subprocess body of the yardstick: identify every text with the audit's [langid] settings,
    among the languages the audit identified segments among (``summary.json`` ``languages``)."""
    t0 = time.perf_counter()
    import polars as pl

    from pipeline.langid import identify
    from tasks.config import build

    cfg = build("langid")
    texts = pl.read_parquet(texts_path)["text"].to_list()
    languages = tuple(json.loads(Path(texts_path).with_suffix(".languages.json").read_text(encoding="utf-8")))
    t1 = time.perf_counter()
    identify([], languages, cfg)  # builds the detector (models preloaded)
    t2 = time.perf_counter()
    identify(texts, languages, cfg)
    t3 = time.perf_counter()
    print(json.dumps({"imports_read_s": t1 - t0, "model_s": t2 - t1, "identify_s": t3 - t2, "texts": len(texts)}))


def yardstick(out: Path, work: Path) -> dict:
    """langid alone over every segment (fresh subprocess) + chrF++ over every aligned group."""
    import polars as pl

    segs = pl.read_parquet(out / "segments.parquet")
    arts = pl.read_parquet(out / "articles.parquet", columns=["article_id", "lang"])
    texts = segs.filter(pl.col("text").is_not_null()).select("text")
    texts_path = work / "yardstick-texts.parquet"
    texts.write_parquet(texts_path)
    languages = json.loads((out / "summary.json").read_text(encoding="utf-8"))["languages"]
    texts_path.with_suffix(".languages.json").write_text(json.dumps(languages), encoding="utf-8")
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--langid-only", str(texts_path)],
                          cwd=REPO, capture_output=True, text=True, check=True)
    langid_wall = time.perf_counter() - t0
    inner = json.loads(proc.stdout.strip().splitlines()[-1])

    langs = arts.rename({"article_id": "original_article_id", "lang": "original_lang"})
    groups = (segs.filter(pl.col("text").is_not_null() & pl.col("original_text").is_not_null()
                          & pl.col("align_group").is_not_null())
              .sort("article_id", "seg_id")
              .group_by("article_id", "align_group", maintain_order=True)
              .agg(pl.col("text").str.join(" ").alias("hyp"), pl.col("original_text").first().alias("ref"),
                   pl.col("original_article_id").first())
              .join(arts, on="article_id", how="left")
              .join(langs, on="original_article_id", how="left"))
    same = groups.filter(pl.col("lang") == pl.col("original_lang"))
    t0 = time.perf_counter()
    from sacrebleu.metrics import CHRF

    chrf = CHRF(word_order=2)
    for hyp, ref in zip(groups["hyp"].to_list(), groups["ref"].to_list(), strict=True):
        chrf.sentence_score(hyp, [ref])
    chrf_all = time.perf_counter() - t0
    t0 = time.perf_counter()
    for hyp, ref in zip(same["hyp"].to_list(), same["ref"].to_list(), strict=True):
        chrf.sentence_score(hyp, [ref])
    chrf_same = time.perf_counter() - t0
    return {"langid_wall_s": langid_wall, "langid_inner": inner, "texts": texts.height,
            "chrf_groups": groups.height, "chrf_all_s": chrf_all,
            "chrf_same_lang_groups": same.height, "chrf_same_lang_s": chrf_same,
            "yardstick_s": langid_wall + chrf_all, "yardstick_same_lang_s": langid_wall + chrf_same}


def report_counts(out: Path, corpus: Corpus) -> dict:
    import polars as pl

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    segs = pl.read_parquet(out / "segments.parquet", columns=["text", "role", "alignment"])
    arts = pl.read_parquet(out / "articles.parquet")
    variants = arts.filter(pl.col("role") == "variant")
    # intended pairing: a variant page's k-th article with its original page's k-th article
    right = 0
    for row in variants.iter_rows(named=True):
        want = corpus.expected.get(row["doc_path"])
        oid = row["original_article_id"] or ""
        if want and row["original_path"] == want and oid.rsplit("-", 1)[-1] == row["article_id"].rsplit("-", 1)[-1]:
            right += 1
    intended = sum(corpus.article_pairs.values())
    found = dict(arts.group_by("doc_path").len().iter_rows())
    split_ok = sum(found.get(d, 0) == n for d, n in corpus.n_articles.items())
    shards = summary["run"]["shards"]
    return {"documents": summary["run"]["documents"], "shards": shards, "luigi_tasks": 4 * shards + 3,
            "articles": arts.height, "variant_articles": variants.height,
            "original_articles": arts.height - variants.height,
            "variant_articles_paired": variants.filter(pl.col("original_article_id").is_not_null()).height,
            "paired_as_intended": right, "intended_pairs": intended,
            "pages_split_as_written": split_ok, "pages_written": len(corpus.n_articles),
            "segments": segs.filter(pl.col("text").is_not_null()).height, "segment_rows": segs.height,
            "failing_articles": arts.filter(pl.col("verdict") == "fail").height,
            "errors": len(summary["errors"]), "verdict": summary["verdict"]}


def print_profile(prof: Path, n: int = 30) -> None:
    import pstats

    stats = pstats.Stats(str(prof))
    stats.sort_stats("cumulative").print_stats(n)
    stats.sort_stats("tottime").print_stats(n)


def git_commit() -> str | None:
    """The commit being measured (with "+dirty" when the work tree differs), if this is a git checkout."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", "pipeline", "tasks",
                                "luigi.cfg"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return head + ("+dirty" if dirty else "")


def fmt_s(x: float) -> str:
    return f"{x:8.1f} s" if x >= 10 else f"{x:8.2f} s"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--pairs", type=int, default=2000, help="variant/original article pairs (default 2000)")
    p.add_argument("--work", type=Path, default=Path("/tmp/tqa-bench"), help="work folder (default /tmp/tqa-bench)")
    p.add_argument("--json", type=Path, default=None, help="write the figures to this JSON file")
    p.add_argument("--workers", type=int, default=1, help="Luigi workers for the audits (default 1, as tqa)")
    p.add_argument("--seed", type=int, default=SEED)
    p.add_argument("--rounds", type=int, default=2,
                   help="interleaved rounds of cold audit and yardstick; the fastest of each counts (default 2)")
    p.add_argument("--profile", action="store_true", help="also profile a cold audit (--workers 1) with cProfile")
    p.add_argument("--langid-only", default=None, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.langid_only:
        langid_only(args.langid_only)
        return 0
    t_start = time.perf_counter()
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    corpus = build(work, args.pairs, args.seed)
    t_build = time.perf_counter() - t0
    print(f"corpus: {corpus.root} — {corpus.documents} documents, {corpus.bytes / 2**20:.1f} MiB, "
          f"{sum(corpus.article_pairs.values())} article pairs, {len(corpus.faults)} injected faults "
          f"(built in {t_build:.1f} s)", flush=True)

    out = work / "report"
    cold_copy = work / "report-cold"  # the yardstick reads the cold run's segments
    colds, yards = [], []
    for r in range(args.rounds):  # interleaved: a drift in the machine's speed hits both sides alike
        remove_report(out)
        cold = run_audit(corpus.root, out, args.workers, work / "cold.log")
        if args.workers == 1:
            cold["stages_s"] = stage_times(out, cold["started"])
        cold_copy.mkdir(exist_ok=True)
        for name in ("segments.parquet", "articles.parquet", "summary.json"):
            shutil.copy(out / name, cold_copy / name)
        yard = yardstick(cold_copy, work)
        print(f"round {r + 1}: cold audit {cold['wall_s']:.1f} s, yardstick {yard['yardstick_s']:.1f} s", flush=True)
        colds.append(cold)
        yards.append(yard)
    cold = min(colds, key=lambda c: c["wall_s"])
    yard = min(yards, key=lambda y: y["yardstick_s"])
    counts = report_counts(out, corpus)
    summary_mtime = (out / "summary.json").stat().st_mtime_ns
    nochange = run_audit(corpus.root, out, args.workers, work / "nochange.log")
    nochange["summary_rewritten"] = (out / "summary.json").stat().st_mtime_ns != summary_mtime
    print(f"no-change re-run: {nochange['wall_s']:.2f} s", flush=True)
    t_mod = time.time()
    time.sleep(0.01)
    touched = touch_share(corpus, CHANGE_SHARE, args.seed)
    changed = run_audit(corpus.root, out, args.workers, work / "changed.log")
    changed["documents_touched"] = len(touched)
    changed["rerun"] = work_files_since(out, t_mod)
    print(f"1% change re-run: {changed['wall_s']:.1f} s", flush=True)

    ratio_cold = cold["wall_s"] / yard["yardstick_s"]
    ratio_nochange = nochange["wall_s"] / cold["wall_s"]
    seg_rate = counts["segments"] / cold["wall_s"]
    rows = [
        ("cold audit", fmt_s(cold["wall_s"]), f"{seg_rate:,.0f} segments/s over {counts['segments']:,} segments"),
        ("no-change re-run", fmt_s(nochange["wall_s"]),
         "summary.json " + ("rewritten (!)" if nochange["summary_rewritten"] else "untouched")),
        (f"after changing 1% ({len(touched)} docs)", fmt_s(changed["wall_s"]),
         "re-ran " + ", ".join(f"{k} {a}/{b}" for k, (a, b) in changed["rerun"].items())),
        *[(f"  {stage}", fmt_s(secs), "cold run, from work-file times") for stage, secs in
          cold.get("stages_s", {}).items()],
        ("peak RSS, cold audit", f"{cold['peak_rss_kib'] / 1024:8.0f} MiB", cold["rss_source"]),
        ("yardstick: langid alone (subprocess)", fmt_s(yard["langid_wall_s"]),
         (f"{yard['texts']:,} texts; imports+read {yard['langid_inner']['imports_read_s']:.1f} s, "
          f"model {yard['langid_inner']['model_s']:.1f} s, identify {yard['langid_inner']['identify_s']:.1f} s")),
        ("yardstick: chrF++ all aligned groups", fmt_s(yard["chrf_all_s"]), f"{yard['chrf_groups']:,} groups"),
        ("yardstick total", fmt_s(yard["yardstick_s"]), "langid + chrF++ (all groups)"),
        ("  (chrF++ same-language groups only)", fmt_s(yard["chrf_same_lang_s"]),
         f"{yard['chrf_same_lang_groups']:,} groups; langid + these = {yard['yardstick_same_lang_s']:.1f} s"),
        ("cold / yardstick", f"{ratio_cold:8.2f} x", "target <= 2  " + ("OK" if ratio_cold <= 2 else "MISSED")
         + f"  (fastest of {args.rounds} rounds each; per round: "
         + ", ".join(f"{c['wall_s'] / y['yardstick_s']:.2f}" for c, y in zip(colds, yards, strict=True)) + ")"),
        ("cold / same-language yardstick", f"{cold['wall_s'] / yard['yardstick_same_lang_s']:8.2f} x", ""),
        ("no-change / cold", f"{100 * ratio_nochange:8.1f} %", "target <= 5%  " + ("OK" if ratio_nochange <= 0.05
                                                                                   else "MISSED")),
    ]
    width = max(len(r[0]) for r in rows)
    print()
    print(f"tqa audit benchmark — {counts['documents']} documents, {counts['articles']} articles "
          f"({counts['variant_articles']} variant, {counts['original_articles']} original), "
          f"{counts['shards']} shards -> ~{counts['luigi_tasks']} Luigi tasks, --workers {args.workers}, "
          f"{os.cpu_count()} CPUs, commit {git_commit() or '?'}")
    print("-" * (width + 80))
    for name, value, note in rows:
        print(f"{name:<{width}}  {value:>12}  {note}")
    print("-" * (width + 80))
    print(f"corpus: {corpus.pages}; article pairs {corpus.article_pairs}; source units {corpus.units}; "
          f"{corpus.bytes / 2**20:.1f} MiB")
    print(f"pairing: {counts['variant_articles_paired']} of {counts['variant_articles']} variant articles paired, "
          f"{counts['paired_as_intended']} of {counts['intended_pairs']} generated pairs found as intended, "
          f"{counts['pages_split_as_written']} of {counts['pages_written']} pages split into the articles written; "
          f"{counts['failing_articles']} articles fail, {len(corpus.faults)} faults injected, "
          f"{counts['errors']} input errors/warnings")
    figures = {"commit": git_commit(), "pairs": args.pairs, "workers": args.workers, "cpus": os.cpu_count(), "seed": args.seed,
               "corpus": {"documents": corpus.documents, "bytes": corpus.bytes, "pages": corpus.pages,
                          "article_pairs": corpus.article_pairs, "units": corpus.units,
                          "faults": len(corpus.faults), "build_s": t_build},
               "report": counts, "cold": cold, "rounds": [{"cold_s": c["wall_s"], "yardstick_s": y["yardstick_s"]}
                                                        for c, y in zip(colds, yards, strict=True)],
               "nochange": nochange, "changed": changed, "yardstick": yard,
               "segments_per_s": seg_rate, "cold_over_yardstick": ratio_cold, "nochange_over_cold": ratio_nochange}
    if args.profile:
        prof = work / "audit.prof"
        pout = work / "report-profile"
        remove_report(pout)
        prun = run_audit(corpus.root, pout, 1, work / "profile.log", profile=prof)
        print(f"\nprofiled cold audit (--workers 1): {prun['wall_s']:.1f} s; stats in {prof}")
        print_profile(prof)
        figures["profile_wall_s"] = prun["wall_s"]
    total = time.perf_counter() - t_start
    figures["script_s"] = total
    print(f"benchmark script: {total:.0f} s in all")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
