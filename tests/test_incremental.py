"""What a change re-runs: thresholds only the judge and the pages; a stage's code that stage and what
depends on it; nothing at all when nothing changed (real Luigi runs on the demo corpus)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .conftest import DEMO, ROOT, run_audit

JUDGE_AND_PAGES = {"JudgeCorpus", "ReportShard", "ReportCorpus", "AuditCorpus"}


def test_a_threshold_change_reruns_only_the_judge_and_the_pages(demo_copy, tmp_path, luigi_overrides):
    out = tmp_path / "report"
    first = run_audit(demo_copy, out)
    assert first.ok and "ScoreShard" in first.ran
    before = first.articles
    luigi_overrides({"flags": {"untranslated_min_words": 30}})
    second = run_audit(demo_copy, out)
    assert second.ok
    assert "JudgeCorpus" in second.ran and set(second.ran) <= JUDGE_AND_PAGES, second.ran
    # the threshold did change the verdicts
    untranslated = lambda arts: sum(c["untranslated"] for c in arts["flag_counts"].to_list())  # noqa: E731
    assert untranslated(second.articles) < untranslated(before)


def test_a_gate_change_reruns_only_the_judge_and_the_pages(demo_copy, tmp_path, luigi_overrides):
    out = tmp_path / "report"
    assert run_audit(demo_copy, out).ok
    luigi_overrides({"gate": {"fail_on": "untranslated:0.99"}})
    second = run_audit(demo_copy, out)
    assert second.ok and "JudgeCorpus" in second.ran and set(second.ran) <= JUDGE_AND_PAGES, second.ran


def _copy_tool(dest: Path) -> Path:
    """A copy of tqa's code to change (the real one stays as it is)."""
    for name in ("pipeline", "tasks"):
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "luigi.cfg", dest / "luigi.cfg")
    return dest


def _audit(tool: Path, corpus: Path, out: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(tool)}
    proc = subprocess.run([sys.executable, "-m", "tasks.cli", "audit", str(corpus), "--out", str(out), "--quiet"],
                          cwd=tool, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]


def _rewritten(work: Path, since: float) -> set[str]:
    """The stage folders holding work files written after ``since``."""
    return {p.parent.name for p in work.glob("*/*") if p.is_file() and p.stat().st_mtime > since}


def test_changing_a_stages_code_reruns_that_stage_and_what_follows(tmp_path):
    tool = _copy_tool(tmp_path / "tool")
    corpus, out = tmp_path / "corpus", tmp_path / "report"
    shutil.copytree(DEMO, corpus)
    _audit(tool, corpus, out)
    work = tmp_path / ".report.tqa" / "work"
    assert (work / "score").is_dir()

    since = time.time()
    time.sleep(0.05)
    detector = tool / "pipeline" / "detectors" / "structure.py"
    detector.write_text(detector.read_text(encoding="utf-8") + "\n# a change to a detector\n", encoding="utf-8")
    _audit(tool, corpus, out)
    rewritten = _rewritten(work, since)
    assert {"score", "final", "report"} <= rewritten, rewritten
    assert not rewritten & {"extract", "survey", "langid", "structure", "pair"}, rewritten

    since = time.time()
    time.sleep(0.05)
    template = tool / "pipeline" / "templates" / "style.css"
    template.write_text(template.read_text(encoding="utf-8") + "\n/* a change to the pages */\n", encoding="utf-8")
    _audit(tool, corpus, out)
    rewritten = _rewritten(work, since)
    assert "report" in rewritten and not rewritten & {"extract", "langid", "score", "final"}, rewritten
