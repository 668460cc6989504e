"""Shared fixtures: the demo corpus and real Luigi runs into temporary folders."""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

import luigi
import polars as pl
import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "corpora" / "demo"
TQA = [sys.executable, "-m", "tasks.cli"]

# Hermetic: the suite never uses the user's models or resources. Every run — in this process and in the
# subprocesses it starts — reads this session's configuration on top of the repository's luigi.cfg: an
# empty models folder of its own, and the resources (dictionaries, WordNet) that `make test` fetches into
# the tests' cache ($TQA_TEST_CACHE, default ~/.cache/tqa-test), never ~/.cache/tqa.
TEST_CACHE = Path(os.environ.get("TQA_TEST_CACHE", Path.home() / ".cache" / "tqa-test")).expanduser()
_SESSION_DIR = Path(tempfile.mkdtemp(prefix="tqa-tests-"))
SESSION_SECTIONS = {"models": {"dir": str(_SESSION_DIR / "models")},
                    "lexicons": {"dir": str(TEST_CACHE / "resources")}}


def config_text(sections: dict[str, dict[str, object]] | None = None) -> str:
    """A luigi.cfg of the session's sections with ``sections`` on top."""
    merged = {name: dict(values) for name, values in SESSION_SECTIONS.items()}
    for name, values in (sections or {}).items():
        merged.setdefault(name, {}).update(values)
    return "".join(f"[{s}]\n" + "".join(f"{k} = {v}\n" for k, v in kv.items()) for s, kv in merged.items())


def write_config(path: Path, sections: dict[str, dict[str, object]] | None = None) -> Path:
    path.write_text(config_text(sections), encoding="utf-8")
    return path


# Subprocesses read it from the environment; this process imported luigi above, before it was set, so
# the path is added here too (luigi reads LUIGI_CONFIG_PATH once, on import).
os.environ["LUIGI_CONFIG_PATH"] = str(write_config(_SESSION_DIR / "session.cfg"))
luigi.configuration.add_config_path(os.environ["LUIGI_CONFIG_PATH"])
os.environ.setdefault("TQA_TEST_CACHE", str(TEST_CACHE / "debian"))


class RunResult:
    def __init__(self, out: Path, ran: list[str], ok: bool) -> None:
        self.out, self.ran, self.ok = out, ran, ok

    @property
    def summary(self) -> dict:
        return json.loads((self.out / "summary.json").read_text(encoding="utf-8"))

    @property
    def segments(self) -> pl.DataFrame:
        return pl.read_parquet(self.out / "segments.parquet")

    @property
    def articles(self) -> pl.DataFrame:
        return pl.read_parquet(self.out / "articles.parquet")


def run_audit(corpus: Path, out: Path, workers: int = 1) -> RunResult:
    """A real Luigi run (local scheduler) that records which tasks ran."""
    from tasks.audit import AuditCorpus, forget_snapshots

    forget_snapshots()
    ran: list[str] = []

    def record(task: luigi.Task) -> None:
        ran.append(task.task_family)

    luigi.Task.event_handler(luigi.Event.SUCCESS)(record)
    try:
        task = AuditCorpus(corpus=str(corpus), out=str(out))
        ok = luigi.build([task], local_scheduler=True, workers=workers, log_level="WARNING")
    finally:
        luigi.Task._event_callbacks[luigi.Task][luigi.Event.SUCCESS].discard(record)
    return RunResult(out, ran, ok)


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    out = tmp_path_factory.mktemp("demo-report")
    return run_audit(DEMO, out)


@pytest.fixture
def demo_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "corpus"
    shutil.copytree(DEMO, dst)
    return dst


@pytest.fixture
def luigi_overrides(tmp_path: Path):
    """Apply extra luigi.cfg settings for one test: ``luigi_overrides({"tqa": {"shard_docs": 1}})``."""
    from luigi.configuration import LuigiConfigParser, add_config_path, get_config

    added: list[str] = []

    def apply(sections: dict[str, dict[str, object]]) -> None:
        path = tmp_path / f"override-{len(added)}.cfg"
        path.write_text("".join(f"[{s}]\n" + "".join(f"{k} = {v}\n" for k, v in kv.items()) for s, kv in
                                sections.items()), encoding="utf-8")
        add_config_path(str(path))
        added.append(str(path))
        get_config().reload()

    yield apply
    for path in added:
        LuigiConfigParser._config_paths.remove(path)
    parser = get_config()
    for section in parser.sections():  # reload() only adds: forget the overrides first
        parser.remove_section(section)
    parser.reload()
    from tasks.audit import forget_snapshots

    forget_snapshots()


# --------------------------------------------------------------------------- larger real corpora, built on demand


def _man_corpus(root: Path) -> Path:
    """The English/Swedish man-page corpus of tests/fixtures/bilingual.py (Debian packages, cached)."""
    from tests.fixtures import bilingual

    try:
        bilingual.build_corpus(root)
    except bilingual.CorpusUnavailable as exc:  # no apt on this machine
        pytest.skip(str(exc))
    (root / "labels.json").unlink()  # the answers stay out of the audited folder
    return root


@pytest.fixture(scope="session")
def man_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _man_corpus(tmp_path_factory.mktemp("man") / "corpus")


@pytest.fixture(scope="session")
def man_run(man_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    run = run_audit(man_corpus, tmp_path_factory.mktemp("man-report"))
    assert run.ok
    return run


@pytest.fixture(scope="session")
def large_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """100+ documents of real text: benchmarks/bench_audit.py's generator (man pages in English and
    Swedish, the seed news articles, copies of the Swedish seed edition), 170 article pairs."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_audit

    from tests.fixtures import bilingual

    work = tmp_path_factory.mktemp("large")
    try:
        corpus = bench_audit.build(work, 170, bench_audit.SEED)
    except bilingual.CorpusUnavailable as exc:
        pytest.skip(str(exc))
    assert corpus.documents >= 100, corpus.documents
    return corpus.root


@pytest.fixture(scope="session")
def large_run(large_corpus: Path, tmp_path_factory: pytest.TempPathFactory) -> RunResult:
    run = run_audit(large_corpus, tmp_path_factory.mktemp("large-report"))
    assert run.ok
    return run
