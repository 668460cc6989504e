"""Acceptance on held-out real text: English man pages and their Swedish translations (Debian's
manpages-sv) with injected faults, audited with and without the manifest. The floors are the
figures measured when the detectors were built, less a margin; see README "Accuracy"."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from .conftest import ROOT

FLOORS = {  # flag: (precision, recall), in percent; None: not asserted (see README)
    "untranslated": (80, 80),
    "partially_translated": (50, 60),
    "garbled": (90, 45),  # every spun paragraph; cross-language garbling needs back-translation
    "number_mismatch": (60, 90),
    "omission": (90, 75),
    "addition": (None, 75),  # the real Swedish pages carry extra text of their own
}


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    fixtures = pytest.importorskip("tests.fixtures.bilingual")
    work = tmp_path_factory.mktemp("bilingual")
    try:
        fixtures.build_corpus(work / "corpus")
    except fixtures.CorpusUnavailable as exc:  # no apt on this machine
        pytest.skip(str(exc))
    out = work / "figures.json"
    proc = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "eval_bilingual.py"), "--corpus",
                           str(work / "corpus"), "--work", str(work), "--json", str(out),
                           "--tqa", f"{sys.executable} -m tasks.cli"],
                          capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    print(proc.stdout)
    return json.loads(out.read_text())["runs"]


def test_pairing(figures):
    assert figures["manifest"]["score"]["pairing"]["accuracy"] == 100.0
    assert figures["nomanifest"]["score"]["pairing"]["accuracy"] >= 85.0


def test_alignment(figures):
    assert figures["manifest"]["score"]["alignment"]["strict"] >= 95.0
    assert figures["nomanifest"]["score"]["alignment"]["strict"] >= 90.0


@pytest.mark.parametrize("flag", sorted(FLOORS))
def test_flag_precision_and_recall(figures, flag):
    precision, recall = FLOORS[flag]
    got = figures["manifest"]["score"]["flags"][flag]
    assert got["tp"] + got["fn"] > 0, f"no labelled {flag} faults: the test cannot fail"
    if precision is not None:
        assert got["precision"] >= precision, got
    assert got["recall"] >= recall, got
