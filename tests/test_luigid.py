"""The same audit through a central luigid scheduler on loopback, with two workers."""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import DEMO, ROOT, TQA


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def luigid(tmp_path):
    exe = Path(sys.executable).with_name("luigid")
    if not exe.exists():
        exe = Path(shutil.which("luigid") or "luigid")
    port = _free_port()
    (tmp_path / "logs").mkdir()
    proc = subprocess.Popen([str(exe), "--address", "127.0.0.1", "--port", str(port), "--state-path",
                             str(tmp_path / "state.pickle"), "--logdir", str(tmp_path / "logs")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("luigid did not start")
            time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_audit_through_luigid_with_two_workers(luigid, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(DEMO, corpus)
    out = tmp_path / "report"
    proc = subprocess.run([*TQA, "audit", str(corpus), "--out", str(out), "--workers", "2",
                           "--scheduler-url", luigid], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["verdict"] == "fail" and len(summary["articles"]) >= 10
    local = tmp_path / "local"
    proc = subprocess.run([*TQA, "audit", str(corpus), "--out", str(local)], capture_output=True, text=True,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0
    same = json.loads((local / "summary.json").read_text(encoding="utf-8"))
    assert [a["flag_counts"] for a in same["articles"]] == [a["flag_counts"] for a in summary["articles"]]
