"""The report folder: replaced whole or not at all, one audit at a time, and nothing of the user's
ever deleted or changed — whichever way tqa is pointed at it (real CLI runs on the demo corpus)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import polars as pl
import pytest

from .conftest import DEMO, ROOT, TQA, write_config

TIMESTAMP_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")


def _audit(corpus: Path, out: Path, config: Path | None = None, **kwargs) -> subprocess.CompletedProcess:  # noqa: ANN003
    env = {**os.environ, **({"LUIGI_CONFIG_PATH": str(config)} if config else {})}
    return subprocess.run([*TQA, "audit", str(corpus), "--out", str(out), "--quiet"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600, check=False, **kwargs)


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def report_state(out: Path) -> tuple[str, dict[str, bytes]]:
    """The run digest of the report at ``out`` after checking that its summary, tables and pages are
    of one run; and its content (timestamps removed) to compare runs by."""
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    articles = pl.read_parquet(out / "articles.parquet")
    ids = sorted(articles["article_id"])
    assert ids == sorted(a["article_id"] for a in summary["articles"])
    assert sorted(pl.read_parquet(out / "segments.parquet")["article_id"].unique()) == ids
    assert sorted(p.name for p in (out / "articles").iterdir()) == [f"{i}.html" for i in ids]
    summary.pop("generated")
    content = {name: TIMESTAMP_RE.sub("T", data.decode("utf-8", "replace")).encode()
               for name, data in _tree(out).items() if name != "summary.json"}
    content["summary.json"] = json.dumps(summary, sort_keys=True).encode()
    return summary["run"]["digest"], content


@pytest.fixture(scope="module")
def two_corpora(tmp_path_factory):
    """The demo corpus (A) and a copy with one page changed (B), and an uninterrupted report of each."""
    base = tmp_path_factory.mktemp("corpora")
    a, b = base / "a", base / "b"
    shutil.copytree(DEMO, a)
    shutil.copytree(DEMO, b)
    page = b / "004_4930b3a46073390e.txt"
    page.write_text(page.read_text(encoding="utf-8") + "\nTikTok has 10 million more users this week.\n",
                    encoding="utf-8")
    refs = {}
    for name, corpus in (("a", a), ("b", b)):
        assert _audit(corpus, base / f"ref-{name}").returncode == 0
        refs[name] = report_state(base / f"ref-{name}")
    return {"a": a, "b": b, "refs": refs}


def kill_points() -> list[float]:
    """When in a run to kill it, as shares of an uninterrupted run's time: six in the suite,
    ``TQA_KILL_POINTS`` of them (``benchmarks/kill_audit.py`` asks for 24)."""
    n = int(os.environ.get("TQA_KILL_POINTS", "6"))
    return [0.05 + 0.92 * k / max(1, n - 1) for k in range(n)]


def test_a_killed_audit_leaves_the_old_report_or_the_new_one(two_corpora, tmp_path):
    """SIGKILL at points spread over a run that replaces a report: the folder is always exactly one
    report, and the next run converges to what an uninterrupted run writes."""
    out = tmp_path / "report"
    corpora, refs = two_corpora, two_corpora["refs"]
    assert _audit(corpora["a"], out).returncode == 0
    current = "a"
    started = time.monotonic()
    assert _audit(corpora["b"], tmp_path / "timing").returncode == 0
    duration = time.monotonic() - started
    for k, share in enumerate(kill_points()):
        target = "b" if current == "a" else "a"
        proc = subprocess.Popen([*TQA, "audit", str(corpora[target]), "--out", str(out), "--quiet"], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(share * duration)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        digest, _ = report_state(out)
        assert digest in (refs[current][0], refs[target][0]), f"kill {k}: a report of neither run"
        print(f"kill {k + 1} at {share:.0%} of the run: the folder held the "
              f"{'old' if digest == refs[current][0] else 'new'} report")
        assert _audit(corpora[target], out).returncode == 0
        digest, content = report_state(out)
        assert digest == refs[target][0] and content == refs[target][1], f"kill {k}: the re-run differs"
        current = target
    generations = tmp_path / ".report.tqa" / "generations"
    assert len(list(generations.iterdir())) == 1  # the killed runs' leftovers are gone
    assert not list((tmp_path / ".report.tqa" / "work" / "pages").glob(".*"))  # and their half-written page folders


def test_a_shards_pages_are_published_whole(tmp_path):
    """A shard's page folder is filled beside its place and then put there whole: a failure while
    writing keeps the earlier folder as it was, and leaves nothing of the failed try."""
    from tasks.targets import atomic_folder

    folder = tmp_path / "pages" / "0003-5a83df861bc13b016e0190bc"
    with atomic_folder(folder) as new:
        (new / "en-a1.html").write_text("<p>first</p>", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_folder(folder) as new:
        (new / "sv-a1.html").write_text("<p>half</p>", encoding="utf-8")
        raise RuntimeError("a page failed to render")
    assert _tree(folder) == {"en-a1.html": b"<p>first</p>"}
    assert list(folder.parent.iterdir()) == [folder]
    umask = os.umask(0)
    os.umask(umask)
    assert folder.stat().st_mode & 0o777 == 0o777 & ~umask  # as readable as the files in it
    with atomic_folder(folder) as new:
        (new / "sv-a1.html").write_text("<p>second</p>", encoding="utf-8")
    assert _tree(folder) == {"sv-a1.html": b"<p>second</p>"}


def test_two_audits_into_one_folder_at_once_give_one_report(two_corpora, tmp_path):
    out = tmp_path / "report"
    procs = [subprocess.Popen([*TQA, "audit", str(two_corpora[n]), "--out", str(out), "--quiet"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in ("a", "b")]
    results = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert any("waiting" in err for _, err in results), results  # the second one waited for the first
    digest, _ = report_state(out)
    assert digest in (two_corpora["refs"]["a"][0], two_corpora["refs"]["b"][0])


USER_FILE = b"my own notes, not tqa's\n"


def _user_folder(folder: Path, *names: str) -> dict[str, bytes]:
    for name in names:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(USER_FILE)
    return _tree(folder)


@pytest.mark.parametrize("names", [("notes.txt",), (".tqa/", "notes.txt"),
                                   ("summary.json", "articles/mine.html"),
                                   ("index.html", "audit/doc.txt", "report/doc.txt")],
                         ids=["files", "empty-tqa-folder", "fake-summary", "like-a-work-folder"])
def test_out_that_is_not_a_report_is_refused_and_left_as_it_was(tmp_path, names):
    out = tmp_path / "mine"
    out.mkdir()
    if names[0] == ".tqa/":
        (out / ".tqa").mkdir()
        names = names[1:]
    if "summary.json" in names:
        (out / "summary.json").write_text('{"contract": 2, "verdict": "pass"}', encoding="utf-8")
        names = tuple(n for n in names if n != "summary.json")
    before = _user_folder(out, *names)
    proc = _audit(DEMO, out)
    assert proc.returncode == 2 and "not a tqa report" in proc.stderr, proc.stderr
    assert _tree(out) == before


@pytest.mark.parametrize("kind", ["file", "dev-null"])
def test_out_that_is_a_file_is_a_usage_error(tmp_path, kind):
    out = Path("/dev/null") if kind == "dev-null" else tmp_path / "report.txt"
    if kind == "file":
        out.write_bytes(USER_FILE)
    proc = _audit(DEMO, out)
    assert proc.returncode == 2 and ("is a file" if kind == "file" else "is not a folder") in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    if kind == "file":
        assert out.read_bytes() == USER_FILE


def test_a_work_dir_that_is_not_tqas_is_refused(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(DEMO, corpus)
    (corpus / "report").mkdir()
    (corpus / "report" / "doc.txt").write_text("A page of the corpus.\n", encoding="utf-8")
    corpus_before = _tree(corpus)
    mine = tmp_path / "mine"
    mine.mkdir()
    mine_before = _user_folder(mine, "audit/doc.txt", "plan/doc.txt", "report/doc.txt")
    for work, why in ((corpus, "inside the corpus"), (mine, "not tqa's")):
        config = write_config(tmp_path / "work.cfg", {"tqa": {"work_dir": work}})
        proc = _audit(corpus, tmp_path / "out", config)
        assert proc.returncode == 2 and "[tqa] work_dir" in proc.stderr and why in proc.stderr, proc.stderr
    assert _tree(corpus) == corpus_before and _tree(mine) == mine_before
    assert not (tmp_path / "out").exists()


def test_user_files_in_tqas_folders_survive_the_runs(tmp_path):
    """A file of the user's inside a work folder or a report generation tqa made is never removed,
    however many runs replace the report around it."""
    work = tmp_path / "work"
    config = write_config(tmp_path / "work.cfg", {"tqa": {"work_dir": work}})
    out = tmp_path / "report"
    assert _audit(DEMO, out, config).returncode == 0
    mine = ("score/notes.txt", "notes.txt")
    _user_folder(work, *mine)
    generation = out.resolve()
    (generation / "my-notes.txt").write_bytes(USER_FILE)
    corpus = tmp_path / "corpus"
    shutil.copytree(DEMO, corpus)
    (corpus / "000_7a5b4766379a837e.txt").write_text("Connect with us\n\nA new page.\n", encoding="utf-8")
    assert _audit(corpus, out, config).returncode == 0
    assert out.resolve() != generation  # a new generation was published
    assert (generation / "my-notes.txt").read_bytes() == USER_FILE  # the old one keeps the user's file
    assert all((work / name).read_bytes() == USER_FILE for name in mine)


def test_an_earlier_tqa_report_folder_is_moved_aside_not_deleted(tmp_path):
    out = tmp_path / "report"
    (out / ".tqa" / "extract").mkdir(parents=True)
    (out / "summary.json").write_text('{"contract": 1, "run": {"digest": "x"}, "verdict": "pass"}',
                                      encoding="utf-8")
    before = _user_folder(out, "articles/old-a1.html", "notes.txt")
    assert _audit(DEMO, out).returncode == 0
    moved = list((tmp_path / ".report.tqa").glob("earlier-report-*"))
    assert len(moved) == 1 and _tree(moved[0]) == before
    report_state(out)
