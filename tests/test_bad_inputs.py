"""Bad input never stops the corpus: each problem is an entry in summary.json's errors."""

from __future__ import annotations

import polars as pl
import pytest

from .conftest import run_audit

SWEDISH_PROSE = (
    "Stockholm är Sveriges huvudstad och landets största stad. Staden ligger där Mälaren möter "
    "Östersjön, och en stor del av innerstaden är byggd på öar.\n\n"
    "Gamla stan är den äldsta delen av staden. Här finns smala gränder, Storkyrkan och "
    "Kungliga slottet, som är kungens officiella residens.\n")


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory):
    from .conftest import DEMO

    corpus = tmp_path_factory.mktemp("bad-corpus")
    for name in ("000_7a5b4766379a837e.txt", "002_bab40216f2bcde20.txt", "004_4930b3a46073390e.txt"):
        (corpus / name).write_bytes((DEMO / name).read_bytes())
    (corpus / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    (corpus / "empty.md").write_bytes(b"")
    (corpus / "sv-cp1252.txt").write_bytes(SWEDISH_PROSE.encode("cp1252"))
    paragraph = (DEMO / "000_7a5b4766379a837e.txt").read_text(encoding="utf-8").split("\n\n")[5] + "\n\n"
    (corpus / "huge.txt").write_text(paragraph * (20 * 2**20 // len(paragraph) + 1), encoding="utf-8")
    (corpus / "broken.html").write_text(
        "<html><body><nav><a href='/'>Hem</a></nav><div><h1>Trasig sida &amp invalid &#xZZ; entity</div>"
        "<p>Det här stycket saknar sluttagg <b>och fetstil<p>Ett andra stycke om TikTok och ByteDance."
        "</span></div></div><ul><li>en punkt<li>en till</body>", encoding="utf-8")
    (corpus / "manifest.csv").write_text(
        "path,lang,original\n"
        "000_7a5b4766379a837e.txt,en,\n"
        "002_bab40216f2bcde20.txt,sv,does-not-exist.txt\n"
        "004_4930b3a46073390e.txt,en\n"
        "sv-cp1252.txt,sv,\n", encoding="utf-8")
    return run_audit(corpus, tmp_path_factory.mktemp("bad-report"))


def _errors(run) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for e in run.summary["errors"]:
        out.setdefault(e["path"], []).append(e["error"])
    return out


def _severities(run) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for e in run.summary["errors"]:
        out.setdefault(e["path"], set()).add(e["severity"])
    return out


def test_the_run_completes(bad_run):
    assert bad_run.ok
    docs = set(bad_run.articles["doc_path"])
    assert {"000_7a5b4766379a837e.txt", "002_bab40216f2bcde20.txt", "004_4930b3a46073390e.txt",
            "sv-cp1252.txt", "broken.html"} <= docs
    assert not docs & {"binary.txt", "empty.md", "huge.txt"}


def test_each_bad_file_has_a_clear_error(bad_run):
    errors = _errors(bad_run)
    assert any("binary" in e for e in errors["binary.txt"])
    assert any("empty file" in e for e in errors["empty.md"])
    assert any("MiB, over the limit" in e and "max_file_mb" in e for e in errors["huge.txt"])
    assert any("cp1252" in e for e in errors["sv-cp1252.txt"])
    # 'error': the file was not audited; 'warning': audited, look at it (docs/output.md)
    severities = _severities(bad_run)
    assert severities["binary.txt"] == severities["empty.md"] == severities["huge.txt"] == {"error"}
    assert severities["sv-cp1252.txt"] == {"warning"}


def test_manifest_problems_are_reported(bad_run):
    errors = _errors(bad_run)
    assert any("does-not-exist.txt" in e and "audited without an original" in e
               for e in errors["002_bab40216f2bcde20.txt"])
    assert any("line 4" in e and "fields" in e for e in errors["manifest.csv"])
    # the documents of bad rows are still audited: the rows' problems are warnings
    severities = _severities(bad_run)
    assert severities["manifest.csv"] == severities["002_bab40216f2bcde20.txt"] == {"warning"}
    swedish = bad_run.articles.filter(pl.col("doc_path") == "002_bab40216f2bcde20.txt")
    assert set(swedish["role"]) == {"variant"} and swedish["original_path"].null_count() == swedish.height


def test_cp1252_text_is_decoded_not_mangled(bad_run):
    segs = bad_run.segments.filter(pl.col("doc_path") == "sv-cp1252.txt")
    text = " ".join(segs["text"].to_list())
    assert "Östersjön" in text and "Mälaren" in text and "\ufffd" not in text
    assert set(segs.filter(pl.col("block") != "boilerplate")["lang"]) == {"sv"}


def test_broken_html_is_extracted(bad_run):
    segs = bad_run.segments.filter(pl.col("doc_path") == "broken.html")
    texts = segs["text"].to_list()
    assert any("saknar sluttagg" in t for t in texts)
    assert any("Ett andra stycke om TikTok" in t for t in texts)
    assert "list_item" in set(segs["block"]) or any("en punkt" in t for t in texts)


def test_errors_fail_the_gate(bad_run):
    assert bad_run.summary["verdict"] == "fail"
