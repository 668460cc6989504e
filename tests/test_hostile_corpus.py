"""tqa on a corpus built the way a hostile contributor would build one.

Next to a copy of the demo's real pages the corpus holds symbolic links to a file and a folder
outside it, a broken and a looping link, a FIFO, 5 MB of nested ``<div>``s, Markdown quoted a
thousand levels deep, the Swedish page in UTF-8/16/32 with byte-order marks (and UTF-16 without
one), a manifest and a glossary with malformed rows before their good ones, names with a newline,
markup and a byte that is not UTF-8, and an unreadable file and folder. The audit runs through the
``tqa`` command in a subprocess (as root, without the capabilities that let root read any file, so
that the unreadable files really are). The tests assert that no byte of the files outside the
corpus reaches any output, that every case is reported naming its file, that everything else is
audited with its usual verdict, and that the run ends in time.
"""

from __future__ import annotations

import ctypes
import json
import os
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl
import pytest

from pipeline.config import ExtractConfig
from pipeline.discover import ManifestEntry, parse_glossary, parse_manifest, readable_path
from pipeline.errors import InputError
from pipeline.extract import decode, extract_blocks
from pipeline.htmldepth import nesting_depth

from .conftest import DEMO, ROOT, TQA, config_text

SV_DOC = "002_bab40216f2bcde20.txt"
EN_DOC = "000_7a5b4766379a837e.txt"
DEMO_DOCS = sorted(p.name for p in DEMO.glob("*.txt"))
ODD_NAME = "<img src=x onerror=alert(1)>\nnext line.txt"
BAD_BYTES_NAME = b"caf\xe9.txt"
DEEP_LEVELS = 450_000  # 5 MB of <div>s: under the 10 MB file limit
BOMS = {"utf-8": b"\xef\xbb\xbf", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff",
        "utf-32-le": b"\xff\xfe\x00\x00", "utf-32-be": b"\x00\x00\xfe\xff"}
CFG = ExtractConfig()


def _drop_dac_override() -> None:
    """In the child before exec: drop CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from the bounding
    set, so that root, too, is refused files that are not readable."""
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _preexec() -> Callable[[], None] | None:
    return _drop_dac_override if os.geteuid() == 0 else None


def _unreadable_is_enforced(path: Path) -> bool:
    """Whether a process started like the audit cannot read ``path``."""
    try:
        probe = subprocess.run([sys.executable, "-c", f"open({str(path)!r}, 'rb').read()"], capture_output=True,
                               preexec_fn=_preexec(), timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return probe.returncode != 0


def _tqa_audit(corpus: Path, out: Path, timeout: float, config: Path | None = None) -> tuple[subprocess.CompletedProcess,
                                                                                           float]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if config is not None:
        env["LUIGI_CONFIG_PATH"] = str(config)
    started = time.monotonic()
    proc = subprocess.run([*TQA, "audit", str(corpus), "--out", str(out)], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout, preexec_fn=_preexec(), check=False)
    return proc, time.monotonic() - started


def _corpus_bytes(corpus: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(corpus):
        for name in files:
            st = os.lstat(os.path.join(dirpath, name))
            total += st.st_size if not os.path.islink(os.path.join(dirpath, name)) else 0
    return total


def _time_bound(corpus: Path) -> float:
    """What the audit may take: a fixed start-up allowance and 10 s per MB of the corpus (the
    demo alone takes ~5 s here; before these checks the deep page took minutes and the FIFO forever)."""
    return 30.0 + 10.0 * _corpus_bytes(corpus) / 1e6


def _outputs_containing(out: Path, needle: str) -> list[str]:
    """Every file under ``out`` (work files included) whose bytes or table values contain ``needle``."""
    hits = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if needle.encode() in data:
            hits.append(str(path))
        elif path.suffix == ".parquet":  # compressed: search the values
            frame = pl.read_parquet(path)
            text = json.dumps(frame.to_dicts(), default=str, ensure_ascii=False)
            if needle in text:
                hits.append(str(path))
    return hits


def _errors(summary: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for e in summary["errors"]:
        out.setdefault(e["path"], []).append(e)
    return out


@dataclass
class Expect:
    """A problem the audit must report: a text the message contains, and its severity."""

    contains: str
    severity: str


@dataclass
class HostileRun:
    corpus: Path
    out: Path
    marker: str
    proc: subprocess.CompletedProcess
    elapsed: float
    bound: float
    expected: dict[str, Expect] = field(default_factory=dict)
    unreadable_enforced: bool = False

    @property
    def summary(self) -> dict:
        return json.loads((self.out / "summary.json").read_text(encoding="utf-8"))

    @property
    def articles(self) -> pl.DataFrame:
        return pl.read_parquet(self.out / "articles.parquet")

    @property
    def segments(self) -> pl.DataFrame:
        return pl.read_parquet(self.out / "segments.parquet")


def _outside(base: Path, marker: str) -> Path:
    """Files outside the corpus, each holding the marker (and real text, so that it would be audited)."""
    outside = base / "outside"
    (outside / "folder").mkdir(parents=True)
    paragraph = (DEMO / EN_DOC).read_text(encoding="utf-8").split("\n\n")[5]
    (outside / "secret.txt").write_text(f"Secret notes\n\n{paragraph} {marker}\n", encoding="utf-8")
    (outside / "folder" / "inner.txt").write_text(f"Inner page\n\n{paragraph} {marker}\n", encoding="utf-8")
    (outside / "manifest.csv").write_text(f"{marker},lang,original\n{EN_DOC},en,\n", encoding="utf-8")
    (outside / "glossary.csv").write_text(f"{marker}\nTikTok\n", encoding="utf-8")
    return outside


def build_hostile_corpus(base: Path, marker: str) -> tuple[Path, dict[str, Expect]]:
    """The hostile corpus under ``base`` and the problem expected for each case (by its readable path)."""
    outside = _outside(base, marker)
    corpus = base / "corpus"
    shutil.copytree(DEMO, corpus)
    expected: dict[str, Expect] = {}
    sv_text = (DEMO / SV_DOC).read_text(encoding="utf-8")
    paragraph = (DEMO / EN_DOC).read_text(encoding="utf-8").split("\n\n")[5]

    (corpus / "leak.txt").symlink_to(outside / "secret.txt")
    expected["leak.txt"] = Expect("symbolic link to a file outside the corpus", "error")
    (corpus / "leak-folder").symlink_to(outside / "folder", target_is_directory=True)
    expected["leak-folder"] = Expect("symbolic link to a folder outside the corpus", "error")
    (corpus / "relative-leak.md").symlink_to(Path("..") / "outside" / "secret.txt")
    expected["relative-leak.md"] = Expect("symbolic link to a file outside the corpus", "error")
    (corpus / "broken.txt").symlink_to("no-such-page.txt")
    expected["broken.txt"] = Expect("broken symbolic link", "error")
    (corpus / "loop-a.html").symlink_to("loop-b.html")
    (corpus / "loop-b.html").symlink_to("loop-a.html")
    expected["loop-a.html"] = Expect("symbolic link loop", "error")
    expected["loop-b.html"] = Expect("symbolic link loop", "error")
    (corpus / "same-page.txt").symlink_to(EN_DOC)
    expected["same-page.txt"] = Expect("inside the corpus: not followed; the target is audited under its own name",
                                       "warning")
    (corpus / ".git").mkdir()  # a checkout's credentials live in .git/config
    (corpus / ".git" / "config").write_text(f"[http]\n\textraheader = AUTHORIZATION: basic {marker}\n")
    (corpus / "git-config.txt").symlink_to(".git/config")
    expected["git-config.txt"] = Expect("hidden files and folders are never read", "error")
    os.mkfifo(corpus / "pipe.txt")
    expected["pipe.txt"] = Expect("a FIFO (named pipe), not a regular file: skipped without reading it", "error")
    with socket.socket(socket.AF_UNIX) as sock:  # the socket file stays after the socket closes
        sock.bind(str(corpus / "socket.md"))
    expected["socket.md"] = Expect("a socket, not a regular file: skipped without reading it", "error")
    try:  # /dev/zero under another name: reading it never ends
        os.mknod(corpus / "zero.txt", 0o644 | stat.S_IFCHR, os.makedev(1, 5))
        expected["zero.txt"] = Expect("a character device, not a regular file: skipped without reading it", "error")
    except PermissionError:
        pass  # not root, or no CAP_MKNOD: the case is left out

    (corpus / "deep.html").write_text("<html><body>" + "<div>" * DEEP_LEVELS + "Deep text." + "</div>" * DEEP_LEVELS
                                      + "</body></html>", encoding="utf-8")
    expected["deep.html"] = Expect(f"HTML nested {DEEP_LEVELS + 2:,} levels deep (limit 512", "error")
    (corpus / "deep.md").write_text("> " * 1000 + paragraph + "\n", encoding="utf-8")
    expected["deep.md"] = Expect("Markdown nested 32 or more levels deep", "error")

    for encoding, bom in BOMS.items():
        (corpus / f"sv-{encoding}.txt").write_bytes(bom + sv_text.encode(encoding))
    (corpus / "sv-utf-16-no-bom.txt").write_bytes(sv_text.encode("utf-16-le"))
    expected["sv-utf-16-no-bom.txt"] = Expect("UTF-16 LE without a byte-order mark; decoded as UTF-16 LE", "warning")

    # cp1252 (its apostrophes are not UTF-8), so that the odd name is printed with its warning
    (corpus / ODD_NAME).write_bytes(f"Odd page — café\n\n{paragraph}\n".encode("cp1252"))
    expected[readable_path(ODD_NAME)] = Expect("not UTF-8", "warning")
    (corpus / os.fsdecode(BAD_BYTES_NAME)).write_text(f"Cafe page\n\n{paragraph}\n", encoding="utf-8")
    expected["caf\\xe9.txt"] = Expect("the name is not valid UTF-8", "error")

    locked = corpus / "locked.txt"
    locked.write_text(f"Locked page\n\n{paragraph}\n", encoding="utf-8")
    locked.chmod(0)
    locked_folder = corpus / "locked-folder"
    locked_folder.mkdir()
    (locked_folder / "page.txt").write_text(f"Locked folder\n\n{paragraph}\n", encoding="utf-8")
    locked_folder.chmod(0)

    manifest = (DEMO / "manifest.csv").read_text(encoding="utf-8").splitlines()
    manifest[1:1] = ['"unclosed.txt,en,,original']  # line 2: before every good row
    manifest += [
        "sv-utf-16-le.txt,sv",  # line 8: a field short
        "sv-utf-16-be.txt,svenska!,,variant",  # line 9: not a language code
        f"{EN_DOC},en,,original",  # line 10: listed twice
        f'"{ODD_NAME}",en,,original',  # lines 11-12: a quoted path over two lines, a good row
        "sv-utf-32-le.txt,sv,,variant",
    ]
    (corpus / "manifest.csv").write_text("\n".join(manifest) + "\n", encoding="utf-8")
    expected["manifest.csv"] = Expect("line 2: unclosed quote", "warning")

    glossary = (DEMO / "glossary.csv").read_text(encoding="utf-8").splitlines()
    glossary[1:1] = ['"Tick,an unclosed quote before every term']  # line 2
    glossary += ["Xiaohongshu,app,also called RED", "Meta,company"]  # lines 15-16: three fields; a duplicate
    (corpus / "glossary.csv").write_text("\n".join(glossary) + "\n", encoding="utf-8")
    expected["glossary.csv"] = Expect("line 2: unclosed quote", "warning")
    return corpus, expected


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> HostileRun:
    base = tmp_path_factory.mktemp("hostile")
    marker = f"outside-marker-{secrets.token_hex(8)}"
    corpus, expected = build_hostile_corpus(base, marker)
    enforced = _unreadable_is_enforced(corpus / "locked.txt")
    if enforced:
        expected["locked.txt"] = Expect("cannot be read (permission denied)", "error")
        expected["locked-folder"] = Expect("folder cannot be read (permission denied)", "error")
    bound = _time_bound(corpus)
    out = base / "report"
    try:
        proc, elapsed = _tqa_audit(corpus, out, timeout=bound)
    finally:  # let pytest clean up
        (corpus / "locked.txt").chmod(0o644)
        (corpus / "locked-folder").chmod(0o755)
    return HostileRun(corpus, out, marker, proc, elapsed, bound, expected, enforced)


def test_the_audit_completes_in_time(hostile):
    assert hostile.proc.returncode == 0, hostile.proc.stderr[-3000:]
    assert "Traceback" not in hostile.proc.stderr
    assert hostile.elapsed < hostile.bound, (hostile.elapsed, hostile.bound)
    assert hostile.summary["verdict"] == "fail"  # files were not audited


def test_no_byte_from_outside_the_corpus_reaches_the_outputs(hostile):
    assert _outputs_containing(hostile.out, hostile.marker) == []
    assert hostile.marker not in hostile.proc.stdout + hostile.proc.stderr
    # the links' own paths are reported, their targets never appear as documents
    docs = set(hostile.articles["doc_path"])
    assert not docs & {"leak.txt", "relative-leak.md", "leak-folder/inner.txt", "same-page.txt"}


def test_every_case_is_reported_naming_its_file(hostile):
    errors = _errors(hostile.summary)
    for path, expect in hostile.expected.items():
        found = [e for e in errors.get(path, []) if expect.contains in e["error"]]
        assert found, (path, expect.contains, errors.get(path))
        assert {e["severity"] for e in found} == {expect.severity}, (path, found)
    # nothing else is reported, and nothing twice
    assert set(errors) == set(hostile.expected), set(errors) ^ set(hostile.expected)
    for path, found in errors.items():
        assert len({e["error"] for e in found}) == len(found), found


def test_unreadable_files_are_reported(hostile):
    if not hostile.unreadable_enforced:
        pytest.skip("cannot make a file unreadable to the audit here (root without the right to drop capabilities)")
    docs = set(hostile.articles["doc_path"])
    assert "locked.txt" not in docs and "locked-folder/page.txt" not in docs


def test_manifest_and_glossary_rows_are_reported_one_by_one(hostile):
    manifest = [e["error"] for e in _errors(hostile.summary)["manifest.csv"]]
    assert any(e.startswith("line 2: unclosed quote") for e in manifest), manifest
    assert any(e.startswith("line 8: 2 fields where the header has 4") for e in manifest), manifest
    assert any(e.startswith("line 9: lang 'svenska!'") for e in manifest), manifest
    assert any(e.startswith(f"line 10: '{EN_DOC}' is listed twice (lines 3 and 10)") for e in manifest), manifest
    assert len(manifest) == 4, manifest
    glossary = [e["error"] for e in _errors(hostile.summary)["glossary.csv"]]
    assert any(e.startswith("line 2: unclosed quote") for e in glossary), glossary
    assert any(e.startswith("line 15: 3 fields where the header has 2; the term 'Xiaohongshu' is used")
               for e in glossary), glossary
    assert any(e.startswith("line 16: the term 'Meta' is listed twice (lines 6 and 16)") for e in glossary), glossary
    assert len(glossary) == 3, glossary
    assert all(e["severity"] == "warning" for e in hostile.summary["errors"]
               if e["path"] in ("manifest.csv", "glossary.csv"))
    # the rows after the bad ones were used: the manifest's roles and languages, the glossary's terms
    arts = hostile.articles
    assert set(arts.filter(pl.col("doc_path") == "001_8f43cc871608309f.txt")["role"]) == {"variant"}
    assert set(arts.filter(pl.col("doc_path") == ODD_NAME)["role"]) == {"original"}  # the two-line row
    assert set(arts.filter(pl.col("doc_path") == "sv-utf-32-le.txt")["lang"]) == {"sv"}
    swedish = hostile.segments.filter(pl.col("doc_path") == SV_DOC)
    hit = swedish.filter(pl.col("text").str.contains("Tick tack"))
    assert hit.height >= 1 and "term_violation" in hit["flags"][0].to_list()


def test_everything_else_is_audited_with_its_usual_verdict(hostile, demo_run):
    usual = {a["article_id"]: a["verdict"] for a in demo_run.summary["articles"]}
    now = {a["article_id"]: a["verdict"] for a in hostile.summary["articles"]}
    assert {k: now.get(k) for k in usual} == usual
    docs = set(hostile.articles["doc_path"])
    assert set(DEMO_DOCS) <= docs
    assert {f"sv-{e}.txt" for e in BOMS} | {"sv-utf-16-no-bom.txt", ODD_NAME} <= docs


def test_text_with_a_byte_order_mark_is_decoded(hostile):
    segs = hostile.segments
    original = segs.filter(pl.col("doc_path") == SV_DOC)["text"].to_list()
    assert any("Ta kontakt med oss" in t for t in original)
    for name in [f"sv-{e}.txt" for e in BOMS] + ["sv-utf-16-no-bom.txt"]:
        assert segs.filter(pl.col("doc_path") == name)["text"].to_list() == original, name


def test_odd_names_are_reported_and_shown_safely(hostile):
    index = (hostile.out / "index.html").read_text(encoding="utf-8")
    assert "<img src=x" not in index and "&lt;img src=x onerror=alert(1)&gt;" in index
    for page in (hostile.out / "articles").glob("*.html"):
        assert "<img src=x" not in page.read_text(encoding="utf-8"), page
    # the terminal shows the name on one line, escaped (the audit lists the first problems, the gate all)
    gate = subprocess.run([*TQA, "gate", str(hostile.out), "--verbose"], cwd=ROOT, capture_output=True, text=True,
                          check=False)
    for shown in (hostile.proc.stdout, gate.stdout):
        assert not any(line.startswith("next line.txt") for line in shown.splitlines())
    assert "<img src=x onerror=alert(1)>\\nnext line.txt" in gate.stdout and "not UTF-8" in gate.stdout
    json.dumps(hostile.summary, ensure_ascii=False).encode("utf-8")  # no lone surrogate anywhere


# --------------------------------------------------------------------------- links to the manifest and glossary


def test_linked_manifest_and_glossary_are_not_read(tmp_path):
    marker = f"outside-marker-{secrets.token_hex(8)}"
    outside = _outside(tmp_path, marker)
    corpus = tmp_path / "corpus"
    shutil.copytree(DEMO, corpus)
    for name in ("manifest.csv", "glossary.csv"):
        (corpus / name).unlink()
        (corpus / name).symlink_to(outside / name)
    out = tmp_path / "report"
    proc, _ = _tqa_audit(corpus, out, timeout=_time_bound(corpus))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _outputs_containing(out, marker) == [] and marker not in proc.stdout + proc.stderr
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    errors = _errors(summary)
    for name in ("manifest.csv", "glossary.csv"):
        assert [e["severity"] for e in errors[name]] == ["warning"]
        assert "symbolic link to a file outside the corpus" in errors[name][0]["error"]
    assert "documents are paired automatically" in errors["manifest.csv"][0]["error"]
    assert summary["run"]["manifest"] is False
    assert {a["doc_path"] for a in summary["articles"]} == set(DEMO_DOCS)


def test_links_inside_the_corpus_are_followed_only_when_allowed(tmp_path):
    marker = f"outside-marker-{secrets.token_hex(8)}"
    outside = _outside(tmp_path, marker)
    corpus = tmp_path / "corpus"
    shutil.copytree(DEMO, corpus)
    (corpus / "en").mkdir()
    shutil.copy(corpus / EN_DOC, corpus / "en" / "page.txt")
    (corpus / "mirror").symlink_to("en", target_is_directory=True)
    (corpus / "en" / "up").symlink_to("..", target_is_directory=True)
    (corpus / "alias.txt").symlink_to("en/page.txt")
    (corpus / "leak.txt").symlink_to(outside / "secret.txt")
    (corpus / "en" / "leak-folder").symlink_to(outside / "folder", target_is_directory=True)
    (corpus / ".git").mkdir()  # a checkout's credentials live in .git/config
    (corpus / ".git" / "config").write_text(f"[http]\n\textraheader = AUTHORIZATION: basic {marker}\n")
    (corpus / "git-config.txt").symlink_to(".git/config")
    (corpus / "git-folder").symlink_to(".git", target_is_directory=True)
    settings = (ROOT / "luigi.cfg").read_text(encoding="utf-8")
    assert "\nsymlinks = skip\n" in settings
    config = tmp_path / "inside.cfg"
    config.write_text(settings.replace("\nsymlinks = skip\n", "\nsymlinks = inside\n") + config_text(), encoding="utf-8")
    out = tmp_path / "report"
    proc, _ = _tqa_audit(corpus, out, timeout=_time_bound(corpus), config=config)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert _outputs_containing(out, marker) == []
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert {a["doc_path"] for a in summary["articles"]} == set(DEMO_DOCS) | {"en/page.txt", "mirror/page.txt",
                                                                              "alias.txt"}
    errors = _errors(summary)
    assert "outside the corpus" in errors["leak.txt"][0]["error"]
    assert "outside the corpus" in errors["en/leak-folder"][0]["error"]
    assert "outside the corpus" in errors["mirror/leak-folder"][0]["error"]
    assert "it would loop" in errors["en/up"][0]["error"] and errors["en/up"][0]["severity"] == "warning"
    for name in ("git-config.txt", "git-folder"):
        assert "hidden files and folders are never read" in errors[name][0]["error"], errors[name]


# --------------------------------------------------------------------------- the pieces, on their own


@pytest.mark.parametrize("encoding", sorted(BOMS))
def test_decode_follows_the_byte_order_mark(encoding):
    text = (DEMO / SV_DOC).read_text(encoding="utf-8")
    decoded = decode(BOMS[encoding] + text.encode(encoding), CFG)
    assert decoded.text == text and decoded.warning is None


def test_utf16_without_a_mark_is_named_not_called_binary():
    text = (DEMO / SV_DOC).read_text(encoding="utf-8")
    decoded = decode(text.encode("utf-16-be"), CFG)
    assert decoded.text == text and "UTF-16 BE without a byte-order mark" in decoded.warning
    with pytest.raises(InputError, match="not UTF-16 LE text"):  # a lone surrogate after the mark
        decode(b"\xff\xfe" + "Ta kontakt med oss".encode("utf-16-le") + b"\x00\xd8a\x00", CFG)
    with pytest.raises(InputError, match="binary"):
        decode(b"\x7fELF\x02\x01\x01\x00\x00\x00" * 20, CFG)


def test_one_unclosed_quote_does_not_swallow_the_glossary():
    text = (DEMO / "glossary.csv").read_text(encoding="utf-8")
    clean, problems = parse_glossary(text)
    assert "TikTok" in clean and problems == []
    lines = text.splitlines()
    lines[1:1] = ['"Tick,unclosed']
    terms, problems = parse_glossary("\n".join(lines))
    assert terms == clean
    assert [(p.path, p.error.split(";")[0], p.severity) for p in problems] == [
        ("glossary.csv", 'line 2: unclosed quote (a field opened with " never ends)', "warning")]


def test_manifest_rows_are_read_one_by_one():
    text = (DEMO / "manifest.csv").read_text(encoding="utf-8")
    paths = set(DEMO_DOCS) | {"extra.txt"}
    clean, problems = parse_manifest(text, paths)
    assert len(clean) == 5 and problems == []
    lines = text.splitlines()
    lines[2:2] = [f'"{EN_DOC},en,', "004_4930b3a46073390e.txt", "x.txt,en,,", "extra.txt,e n,,"]
    entries, problems = parse_manifest("\n".join(lines), paths)
    assert entries == {**clean, "extra.txt": ManifestEntry("extra.txt", None, None, None)}
    assert [p.error.split(":")[0] for p in problems] == ["line 3", "line 4", "line 5", "line 6"]
    assert "unclosed quote" in problems[0].error and "'x.txt' is not a document" in problems[2].error
    assert {p.severity for p in problems} == {"warning"}


def _parsed_depth(html: str) -> int:
    """The depth of the tree lexbor builds from ``html`` (elements only, <html> counted)."""
    from selectolax.lexbor import LexborHTMLParser

    deepest, stack = 0, [(LexborHTMLParser(html).root, 1)]
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        child = node.child
        while child is not None:
            if not child.tag.startswith("-"):
                stack.append((child, depth + 1))
            child = child.next
    return deepest


def test_html_depth_is_counted_in_linear_time():
    times = []
    for n in (10_000, 20_000, 40_000):
        html = "<html><body>" + "<div>" * n + "x" + "</div>" * n + "</body></html>"
        started = time.perf_counter()
        with pytest.raises(InputError, match=f"HTML nested {n + 2:,} levels deep"):
            extract_blocks(html, "html", CFG)
        times.append(time.perf_counter() - started)
    assert times[-1] < 5.0, times  # lexbor alone took 3.8 s on 40,000 levels, and grew with the square


@pytest.mark.parametrize("html", [
    "<span><div></span>" * 300,  # an end tag does not close past a block
    "<ul>" + "<li><a href=x>item" * 300 + "</ul>",  # implied end tags
    "<dl>" + "<dt>term<dd><p>text" * 300 + "</dl>",
    "<p>one<p>two<table><tr><td>a<td>b<tr><td>c</table><p>three" * 100,
    "<section><p>text<div>block</div></section>" * 300 + "<li><section><li><section>" * 100,
    "<select>" + "<option>o" * 300 + "</select>" + "<h1>a<h2>b</h1>" * 100,
    "<svg><g><path d=x/><g/></g></svg>" * 100 + "<script>" + "<div>" * 300 + "</script>" + "<!-- <div> -->" * 300,
])
def test_html_depth_count_follows_the_parser(html):
    counted, parsed = nesting_depth(html), _parsed_depth(html)
    assert parsed - 2 <= counted <= parsed + 2, (counted, parsed)


def test_html_depth_count_misses_reopened_formatting_only_boundedly():
    # the parser reopens unclosed <b>/<i> in every new block, at most three of each (its "Noah's
    # ark"): the count does not model that, and the parsed tree's own depth check covers it
    html = "<div><b><i>text</div>" * 300
    counted, parsed = nesting_depth(html), _parsed_depth(html)
    assert counted < parsed <= counted + 2 * 3 + 2, (counted, parsed)


def test_deep_html_within_the_limit_is_extracted_without_recursion():
    cfg = ExtractConfig(max_depth=5000)
    html = "<html><body>" + "<div>" * 3000 + "<p>Deep inside.</p>" + "</div>" * 3000 + "</body></html>"
    assert [b.text for b in extract_blocks(html, "html", cfg)] == ["Deep inside."]


def test_html_nested_past_the_limit_is_refused_after_parsing():
    # counted at 602 levels (under 4 x 512, so it is parsed), then measured on the parsed tree
    html = "<html><body>" + "<div>" * 600 + "<p>Too deep.</p>" + "</div>" * 600 + "</body></html>"
    with pytest.raises(InputError, match="HTML nested more than 512 levels deep"):
        extract_blocks(html, "html", CFG)


def test_a_file_that_parses_too_slowly_is_stopped(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(DEMO, corpus)
    # markdown-it-py works on each '[' in proportion to its nesting limit: ~14 s per MB here, all
    # inside one call that no cooperative check reaches
    (corpus / "brackets.md").write_text("[" * 2_000_000 + "x" + "]" * 2_000_000 + "\n", encoding="utf-8")
    settings = (ROOT / "luigi.cfg").read_text(encoding="utf-8")
    assert "\nmax_seconds = 30\n" in settings
    config = tmp_path / "budget.cfg"
    config.write_text(settings.replace("\nmax_seconds = 30\n", "\nmax_seconds = 2\n") + config_text(), encoding="utf-8")
    out = tmp_path / "report"
    proc, elapsed = _tqa_audit(corpus, out, timeout=_time_bound(corpus), config=config)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    errors = _errors(summary)
    assert [e["error"].split(":")[0] for e in errors["brackets.md"]] == [
        "extraction stopped after 2 s ([extract] max_seconds)"]
    assert {a["doc_path"] for a in summary["articles"]} == set(DEMO_DOCS)
    assert elapsed < 30, elapsed  # the parse alone would take about a minute


def test_deep_markdown_is_an_error_not_a_silent_loss():
    with pytest.raises(InputError, match="Markdown nested 32 or more levels deep"):
        extract_blocks("- " * 100 + "item\n", "md", CFG)
    blocks = extract_blocks("> " * 10 + "Quoted ten levels deep.\n", "md", CFG)
    assert [(b.kind, b.text) for b in blocks] == [("quote", "Quoted ten levels deep.")]
