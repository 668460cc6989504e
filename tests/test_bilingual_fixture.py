"""Tests of the English/Swedish man-page corpus builder (tests/fixtures/bilingual.py).

The corpus tests need Debian's packages (fetched once into the cache); they
are skipped only when those cannot be obtained.  The roff converter tests
need nothing.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.fixtures import bilingual
from tests.fixtures.bilingual import CorpusUnavailable, build_corpus, roff_to_blocks


def _build(outdir: Path, **kwargs) -> dict:
    try:
        return build_corpus(outdir, **kwargs)
    except CorpusUnavailable as exc:
        pytest.skip(f"Debian man-page packages unavailable: {exc}")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("bilingual") / "corpus"
    return out, _build(out)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _paragraphs(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n") and "\n\n\n" not in text
    return text.rstrip("\n").split("\n\n")


def test_documents_and_originals(corpus):
    out, labels = corpus
    docs = {d["path"]: d for d in labels["documents"]}
    txt = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.txt"))
    assert txt == sorted(docs)
    variants = [d for d in docs.values() if d["role"] == "variant"]
    sv = [d for d in variants if d["lang"] == "sv"]
    assert len(sv) == bilingual.N_PAIRS
    assert sum(1 for d in variants if d["path"].startswith("en-spun/")) == bilingual.N_SPUN_DOCS
    for d in variants:
        assert d["original"] in docs, d
        assert docs[d["original"]]["role"] == "original"
        assert (out / d["original"]).is_file()
        assert len(d["alignment"]) == d["n_paragraphs"] == len(_paragraphs(out / d["path"]))
    for d in docs.values():
        if d["role"] == "original":
            assert d["original"] is None and d["lang"] == "en"
    with open(out / "manifest.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["path"] for r in rows] == sorted(docs)
    for r in rows:
        assert r["lang"] == docs[r["path"]]["lang"]
        assert (r["original"] or None) == docs[r["path"]]["original"]


def test_labels_match_files(corpus):
    out, labels = corpus
    docs = {d["path"]: d for d in labels["documents"]}
    texts = {p: _paragraphs(out / p) for p in docs}
    counts: dict[str, int] = {}
    for f in labels["faults"]:
        counts[f["kind"]] = counts.get(f["kind"], 0) + 1
        variant = texts[f["doc"]]
        original = texts[docs[f["doc"]]["original"]]
        if f["kind"] == "omission":
            assert f["text"] == original[f["original_index"]]
            assert f["removed_variant_text"] not in variant
            assert 0 <= f["index"] <= len(variant)
        else:
            assert variant[f["index"]] == f["text"], f
            if f["kind"] != "addition":
                assert original[f["original_index"]] == f["original_text"]
                if f["kind"] == "untranslated":
                    assert f["text"] == f["original_text"]
                else:
                    assert f["text"] != f["original_text"]
        if f["kind"] == "addition":
            assert f["text"] not in original
    for kind, n in bilingual.FAULT_PLAN.items():
        assert counts.get(kind) == n, kind
    assert counts.get("spun") == bilingual.N_SPUN_DOCS * bilingual.SPUN_PER_DOC

    seen: dict[str, int] = {}
    for p in labels["paragraphs"]:
        paras = texts[p["doc"]]
        assert paras[p["index"]] == p["text"]
        assert p["status"] in ("clean", "fault", "unscored")
        assert (p["status"] == "fault") == (p["fault"] is not None)
        if p["original_index"] is not None:
            assert p["original_index"] == docs[p["doc"]]["alignment"][p["index"]]
        seen[p["doc"]] = seen.get(p["doc"], 0) + 1
    for d in docs.values():
        if d["role"] == "variant":
            assert seen[d["path"]] == d["n_paragraphs"]
    assert sum(1 for p in labels["paragraphs"] if p["status"] == "clean") >= 300


def test_clean_pairs_are_real_translations(corpus):
    out, labels = corpus
    # most clean Swedish paragraphs differ from their English counterpart
    # and contain Swedish letters or words
    clean = [p for p in labels["paragraphs"]
             if p["status"] == "clean" and p["doc"].startswith("sv/")]
    swedish = [p for p in clean if any(c in p["text"] for c in "åäöÅÄÖ")]
    assert len(swedish) > 0.6 * len(clean)


def test_build_is_deterministic(corpus, tmp_path):
    out, labels = corpus
    again = tmp_path / "again"
    assert _build(again) == labels
    assert _files(again) == _files(out)


def test_no_manifest(corpus, tmp_path):
    out, _ = corpus
    bare = tmp_path / "bare"
    labels = _build(bare, manifest=False)
    assert not (bare / "manifest.csv").exists()
    assert labels["manifest"] is False
    a = {k: v for k, v in _files(out).items() if k.endswith(".txt")}
    b = {k: v for k, v in _files(bare).items() if k.endswith(".txt")}
    assert a == b


def test_roff_to_blocks():
    src = "\n".join([
        '.\\" a comment',
        '.TH WC "1" "September 2022" "GNU coreutils 9.1" "User Commands"',
        ".SH NAME",
        "wc \\- print newline counts",
        ".SH \"SEE ALSO\"",
        ".PP",
        "Print \\fBbold\\fR and \\fI\\,italic\\/\\fP text,",
        "it\\(aqs wrapped.  \\\" trailing comment",
        ".TP",
        "\\fB\\-c\\fR, \\fB\\-\\-bytes\\fR",
        "print the byte counts",
        ".br",
        "Copyright \\(co 2022",
        ".BR login (1)",
        "starts a",
        ".I shell .",
        ".SS Sub",
        ".nf",
        "a  b",
        "",
        "c",
        ".fi",
    ])
    blocks = roff_to_blocks(src)
    assert [(b.kind, b.text) for b in blocks] == [
        ("title", "NAME"),
        ("paragraph", "wc - print newline counts"),
        ("title", "SEE ALSO"),
        ("paragraph", "Print bold and italic text, it's wrapped."),
        ("paragraph", "-c, --bytes print the byte counts"),
        ("paragraph", "Copyright © 2022 login(1) starts a shell ."),
        ("title", "Sub"),
        ("paragraph", "a b"),
        ("paragraph", "c"),
    ]
