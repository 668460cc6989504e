"""Tests of the evaluation corpora built from real documentation (tests/fixtures/eval_corpora.py) and of the
scorer that reads tqa's reports against their labels (benchmarks/evaluate.py).

The corpora are built small (a few pages per language) from Debian's LibreOffice help and Debian Reference
packages, fetched once into the package cache; the tests are skipped, saying why, when the packages cannot be
fetched.  They check the builders' invariants on the real text: the labels describe the files (every labelled
block is a block of its page, in order), the labels stay out of the corpus, the manifest names files that exist,
a build is deterministic, the two splits share no page, and every fault kind is present and was made as its
label says.
"""

from __future__ import annotations

import csv
import importlib.util
import json
import re
import sys
from collections import Counter
from pathlib import Path

import polars as pl
import pytest

from tests.fixtures import eval_corpora
from tests.fixtures.debian import CorpusUnavailable
from tests.fixtures.eval_corpora import FAULT_KINDS, PLANS, build_corpus, read_blocks
from tests.fixtures.eval_model import numbers, word_count

from .conftest import ROOT

pytestmark = pytest.mark.slow  # downloads Debian packages on the first run

NAMES = ("libreoffice-help", "debian-reference")


def _build(name: str, out: Path, split: str) -> dict:
    try:
        return build_corpus(name, out, split=split, size="small")
    except CorpusUnavailable as exc:
        pytest.skip(f"Debian packages for {name} unavailable: {exc}")


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> dict[tuple[str, str], tuple[Path, dict]]:
    """Both corpora, both splits, small."""
    root = tmp_path_factory.mktemp("eval-corpora")
    out = {}
    for name in NAMES:
        for split in ("dev", "test"):
            folder = root / f"{name}-{split}"
            out[(name, split)] = (folder, _build(name, folder, split))
    return out


def _docs(labels: dict) -> dict[str, dict]:
    return {d["path"]: d for d in labels["documents"]}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("split", ["dev", "test"])
def test_labels_describe_the_files(corpora, name, split):
    folder, labels = corpora[(name, split)]
    docs = _docs(labels)
    files = sorted(p.relative_to(folder / "corpus").as_posix() for p in (folder / "corpus").rglob("*.html"))
    assert files == sorted(docs), "every page is labelled, every label names a page"
    for path, doc in docs.items():
        blocks = read_blocks((folder / "corpus" / path).read_text(encoding="utf-8"))
        assert blocks == [b["text"] for b in doc["blocks"]], path
        assert [b["index"] for b in doc["blocks"]] == list(range(len(blocks)))
        assert any(b["boilerplate"] for b in doc["blocks"]) and not all(b["boilerplate"] for b in doc["blocks"])


@pytest.mark.parametrize("name", NAMES)
def test_labels_stay_out_of_the_corpus_and_manifest_is_right(corpora, name):
    folder, labels = corpora[(name, "dev")]
    assert (folder / "labels.json").is_file()
    assert not list((folder / "corpus").rglob("labels*.json"))
    text = (folder / "corpus").rglob("*")
    assert all("original_index" not in p.read_text(encoding="utf-8", errors="replace") for p in text if p.is_file())
    docs = _docs(labels)
    with open(folder / "corpus" / "manifest.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["path"] for r in rows] == sorted(docs)
    for r in rows:
        d = docs[r["path"]]
        assert (folder / "corpus" / r["path"]).is_file()
        assert r["lang"] == d["lang"] and r["role"] == d["role"]
        assert (r["original"] or None) == d["original"]
        if r["original"]:
            assert (folder / "corpus" / r["original"]).is_file() and docs[r["original"]]["role"] == "original"
    for d in docs.values():
        if d["orphan"]:
            assert d["original"] is None and d["role"] == "variant"
            # an orphan's original is not in the corpus
            assert not (folder / "corpus" / "en" / d["path"].split("/", 1)[1]).exists()
        if d["distractor"]:
            assert not any(v["original"] == d["path"] for v in docs.values())


def test_build_is_deterministic(corpora, tmp_path):
    folder, _ = corpora[("debian-reference", "dev")]
    again = tmp_path / "again"
    _build("debian-reference", again, "dev")

    def tree(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    first, second = tree(folder), tree(again)
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


@pytest.mark.parametrize("name", NAMES)
def test_splits_share_no_page(corpora, name):
    keys = {}
    texts = {}
    for split in ("dev", "test"):
        _, labels = corpora[(name, split)]
        keys[split] = {d["key"] for d in labels["documents"]}
        texts[split] = {b["text"] for d in labels["documents"] for b in d["blocks"]
                        if not b["boilerplate"] and word_count(b["text"], d["lang"]) >= 12}
        assert all(eval_corpora.split_of(name, k) == split for k in keys[split])
    assert keys["dev"] and keys["test"] and not keys["dev"] & keys["test"]
    # long body paragraphs may recur across pages of the help (shared snippets), but rarely
    shared = texts["dev"] & texts["test"]
    assert len(shared) <= 0.05 * min(len(texts["dev"]), len(texts["test"])), sorted(shared)[:5]


@pytest.mark.parametrize("name", NAMES)
def test_every_fault_kind_is_present_and_made_as_labelled(corpora, name):
    _, labels = corpora[(name, "dev")]
    docs = _docs(labels)
    plan = PLANS["small"][name]
    kinds: Counter[str] = Counter()
    for d in docs.values():
        orig = docs.get(d["original"]) if d["original"] else None
        for b in d["blocks"]:
            if b.get("status") == "clean":
                assert orig is not None and b["original_index"] is not None and not b["boilerplate"]
                assert b["fault"] is None
            if not b.get("fault"):
                continue
            kind = b["fault"]
            kinds[(d["lang"], kind)] += 1
            assert b["status"] == "fault" and not b["boilerplate"]
            if kind == "addition":
                assert b["original_index"] is None
                assert all(b["text"] != ob["text"] for ob in orig["blocks"])
                continue
            original = orig["blocks"][b["original_index"]]["text"]
            before = b["detail"].get("translation")
            if kind == "untranslated":
                assert b["text"] == original
            elif kind == "partially_translated":
                assert b["text"] != before and b["text"] != original
                tail = " ".join(b["text"].split()[-4:])
                assert tail in original, (b["text"], original)
            elif kind == "shuffled":
                assert b["text"] != before
                assert sorted(re.sub(r"\s", "", b["text"])) == sorted(re.sub(r"\s", "", before))
            elif kind == "truncated":
                assert before.startswith(b["text"]) and 0.3 <= len(b["text"]) / len(before) <= 0.7
                assert not re.search(r"[.!?。]$", b["text"])
            elif kind == "replaced":
                assert b["text"] != before and all(b["text"] != ob["text"] for ob in orig["blocks"])
            elif kind == "number_mismatch":
                old, new = b["detail"]["number"]["original"], b["detail"]["number"]["variant"]
                assert old in numbers(before) and new in numbers(b["text"]) and old != new
                assert old in numbers(original)
            elif kind == "spun":
                assert d["lang"] == "en" and d["spun"]
                reps = b["detail"]["replacements"]
                # lower-case words standing alone (not parts of paths or options), function words aside
                content = [w for w in re.findall(r"(?<![\w/.\-])[a-z]{3,}(?![\w/\-])", original)
                           if w not in eval_corpora.STOPWORDS]
                assert 0.2 <= len(reps) / len(content) <= 0.5, (reps, content)
                for old, new in reps:
                    assert old != new and new in b["text"]
    for lang in labels["languages"]:
        for kind in FAULT_KINDS:
            if kind != "omission":
                assert kinds[(lang, kind)] >= plan.faults_per_kind, (lang, kind)
        chrome_pages = [d for d in docs.values() if d["lang"] == lang and "translated_chrome" in d["page_faults"]]
        assert len(chrome_pages) == plan.translated_chrome_pages
        for d in chrome_pages:
            body = [b for b in d["blocks"] if not b["boilerplate"] and b["status"] == "fault"]
            assert body and all(b["fault"] == "untranslated" for b in body)
            assert all(b["text"] == docs[d["original"]]["blocks"][b["original_index"]]["text"] for b in body)
        clean = [d for d in docs.values() if d["lang"] == lang and d["role"] == "variant" and not d["orphan"]
                 and not d["faulted"]]
        assert len(clean) >= 0.3 * plan.variants_per_lang
        assert sum(1 for d in docs.values() if d["lang"] == lang and d["orphan"]) == plan.orphans_per_lang
    assert sum(1 for d in docs.values() if d["spun"]) == plan.spun_pages
    omitted = Counter(docs[o["doc"]]["lang"] for o in labels["omissions"])
    assert all(omitted[lang] >= plan.faults_per_kind for lang in labels["languages"])
    for o in labels["omissions"]:
        d = docs[o["doc"]]
        assert "omission" in d["faults"]
        assert docs[d["original"]]["blocks"][o["original_index"]]["text"] == o["text"]
        # the removed translation may recur elsewhere on the page; its original is no longer translated
        assert o["removed_text"] and o["removed_text"] != o["text"]
        assert all(b["original_index"] != o["original_index"] for b in d["blocks"] if "original_index" in b)


@pytest.mark.parametrize("name", NAMES)
def test_site_chrome_varies_and_is_translated(corpora, name):
    folder, labels = corpora[(name, "dev")]
    docs = list(labels["documents"])
    semantic = [d["layout"]["semantic"] for d in docs]
    assert any(semantic) and not all(semantic), "semantic tags on part of the pages only"
    for d in docs:
        html = (folder / "corpus" / d["path"]).read_text(encoding="utf-8")
        assert ("<header" in html) == d["layout"]["semantic"]
    # chrome differs between languages: a page's frame is in the page's language
    frames: dict[str, set[str]] = {}
    for d in docs:
        frames.setdefault(d["lang"], set()).update(b["text"] for b in d["blocks"] if b["chrome"] == "frame")
    langs = labels["languages"]
    for lang in langs:
        assert len(frames[lang] - frames["en"]) >= 0.5 * len(frames[lang]), lang


# ---------------------------------------------------------------------------
# The scorer, on reports that follow the output contract (docs/output.md)
# ---------------------------------------------------------------------------


def _evaluate_module():
    spec = importlib.util.spec_from_file_location("evaluate", ROOT / "benchmarks" / "evaluate.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("evaluate", module)  # dataclasses look their module up there
    spec.loader.exec_module(sys.modules["evaluate"])
    return sys.modules["evaluate"]


def _oracle_report(labels: dict, out: Path, drop_kind: str | None = None) -> None:
    """A report as a perfect auditor would write it (every label right), less ``drop_kind``'s flags."""
    ev = _evaluate_module()
    docs = _docs(labels)
    art = {p: f"doc{i}-0" for i, p in enumerate(sorted(docs))}
    segments, articles = [], []
    for path, d in docs.items():
        paired = d["role"] == "variant" and d["original"] is not None
        for b in d["blocks"]:
            flags = ["boilerplate"] if b["boilerplate"] else []
            if b.get("fault") and b["fault"] != drop_kind:
                flags.append(ev.KIND_FLAG[b["fault"]])
            oi = b.get("original_index")
            segments.append({
                "article_id": art[path], "doc_path": path,
                "original_article_id": art[d["original"]] if paired else None, "seg_id": b["index"],
                "block": "boilerplate" if b["boilerplate"] else ("paragraph" if b["kind"] == "code" else b["kind"]),
                "text": b["text"],
                "alignment": "original" if d["role"] == "original" else (
                    "unpaired" if not paired else "boilerplate" if b["boilerplate"] else
                    "1:1" if oi is not None else "addition"),
                "original_seg_ids": [oi] if paired and oi is not None else [],
                "original_text": docs[d["original"]]["blocks"][oi]["text"] if paired and oi is not None else None,
                "flags": flags})
        for o in labels["omissions"]:
            if o["doc"] == path:
                segments.append({"article_id": art[path], "doc_path": path, "original_article_id": art[d["original"]],
                                 "seg_id": None, "block": "paragraph", "text": None, "alignment": "omission",
                                 "original_seg_ids": [o["original_index"]], "original_text": o["text"],
                                 "flags": ["omission"]})
        verdict = ("fail" if d["faulted"] else "pass") if paired else ("unverified" if d["role"] == "variant"
                                                                       else "reference")
        articles.append({"article_id": art[path], "doc_path": path, "original_path": d["original"] if paired else None,
                         "role": d["role"], "n_body": sum(1 for b in d["blocks"] if not b["boilerplate"]),
                         "verdict": verdict})
    out.mkdir(parents=True)
    pl.DataFrame(segments, schema_overrides={"original_seg_ids": pl.List(pl.Int64), "flags": pl.List(pl.String),
                                             "seg_id": pl.Int64}).write_parquet(out / "segments.parquet")
    pl.DataFrame(articles).write_parquet(out / "articles.parquet")
    (out / "summary.json").write_text(json.dumps({"contract": 1, "verdict": "fail"}), encoding="utf-8")


def test_scorer_gives_full_marks_to_a_perfect_report(corpora, tmp_path):
    ev = _evaluate_module()
    _, labels = corpora[("libreoffice-help", "dev")]
    _oracle_report(labels, tmp_path / "report")
    rep = ev.read_report(tmp_path / "report")
    assert rep.problems == []
    groups = ev.grouped(ev.score(labels, rep), labels["languages"])
    assert set(groups) == {*labels["languages"], "en", "all"}
    fig = groups["all"]["figures"]
    assert fig["pairing"]["variants"][2] == fig["pairing"]["orphans"][2] == fig["pairing"]["originals"][2] == 100.0
    assert fig["alignment"]["strict"] == fig["alignment"]["lenient"] == 100.0
    for flag in ev.FLAGS:
        f = fig["flags"][flag]
        assert f["tp"] > 0 and f["fp"] == 0 and f["fn"] == 0, (flag, f)
    for kind in ("shuffled", "truncated", "replaced", "spun", "translated_chrome"):
        assert fig["kinds"][kind]["recall"] == 100.0
    assert fig["clean"]["n"] > 0 and all(fig["clean"][f] == 0.0 for f in ("untranslated", "garbled", "boilerplate"))
    assert fig["boilerplate"]["precision"] == fig["boilerplate"]["recall"] == 100.0
    assert fig["gate"]["faulted_pages_failing"][2] == 100.0 and fig["gate"]["clean_pages_failing"][2] == 0.0
    assert fig["gate"]["orphans"] == {"unverified": len(labels["languages"])}
    assert fig["segments"]["unmatched"] == 0
    table = ev.markdown_table(groups)
    assert table.count("\n") > 20 and "| sv |" in table.splitlines()[0] + " |"


def test_scorer_counts_what_a_report_misses(corpora, tmp_path):
    ev = _evaluate_module()
    _, labels = corpora[("debian-reference", "dev")]
    _oracle_report(labels, tmp_path / "report", drop_kind="shuffled")
    fig = ev.grouped(ev.score(labels, ev.read_report(tmp_path / "report")), labels["languages"])["all"]["figures"]
    n_shuffled = fig["kinds"]["shuffled"]["n"]
    garbled = fig["flags"]["garbled"]
    assert n_shuffled > 0 and fig["kinds"]["shuffled"]["recall"] == 0.0
    assert garbled["fn"] == n_shuffled and garbled["fp"] == 0
    assert fig["kinds"]["truncated"]["recall"] == 100.0
