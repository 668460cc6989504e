"""The command line at its edges: every usage or configuration mistake is one line on stderr with the
documented exit code; progress on a terminal and silence elsewhere; ``--version``; the Luigi way ends
with the verdict; packaging without warnings."""

from __future__ import annotations

import json
import os
import pty
import select
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from .conftest import DEMO, ROOT, TQA

LUIGI = Path(sys.executable).with_name("luigi")


def tqa(*args: str, env: dict | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run([*TQA, *map(str, args)], capture_output=True, text=True, cwd=ROOT, timeout=timeout,
                          env={**os.environ, **(env or {})}, check=False)


def one_line_error(proc: subprocess.CompletedProcess, code: int, *needles: str) -> str:
    """The process exited ``code`` with exactly one line on stderr (containing ``needles``), nothing on
    stdout and no traceback."""
    assert proc.returncode == code, (proc.returncode, proc.stdout[-2000:], proc.stderr[-2000:])
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert proc.stdout == "" and "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_version() -> None:
    from pipeline import __version__

    proc = tqa("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"tqa {__version__}"


def test_out_naming_an_existing_file(tmp_path) -> None:
    target = tmp_path / "report.html"
    target.write_text("mine", encoding="utf-8")
    one_line_error(tqa("audit", DEMO, "--out", target), 2, f"--out {target} is a file")
    assert target.read_text(encoding="utf-8") == "mine"


def test_corpus_that_is_a_file_or_missing(tmp_path) -> None:
    one_line_error(tqa("audit", DEMO / "manifest.csv", "--out", tmp_path / "r"), 2, "is a file, not a folder")
    one_line_error(tqa("audit", tmp_path / "nowhere", "--out", tmp_path / "r"), 2, "does not exist")


def test_unreachable_scheduler_is_one_line(tmp_path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    t0 = time.monotonic()
    line = one_line_error(tqa("audit", DEMO, "--out", tmp_path / "r", "--scheduler-url", url), 2,
                          f"cannot reach the Luigi scheduler at {url}")
    assert "luigid" in line and time.monotonic() - t0 < 60
    one_line_error(tqa("audit", DEMO, "--out", tmp_path / "r", "--scheduler-url", "127.0.0.1:8082"), 2,
                   "not an http(s) URL")
    assert not (tmp_path / "r").exists()


def test_a_mistyped_option_is_named_before_a_missing_one(tmp_path) -> None:
    one_line_error(tqa("audit", DEMO, "--ouy", tmp_path / "r"), 2, "unknown argument --ouy", "did you mean --out?")
    one_line_error(tqa("audit", DEMO), 2, "--out DIR is required")
    one_line_error(tqa("audit", DEMO, "--out", tmp_path / "r", "--workers", "two"), 2, "--workers", "invalid int")
    one_line_error(tqa("gate", tmp_path, "--frmat", "json"), 2, "unknown argument --frmat", "--format")
    one_line_error(tqa("gate", tmp_path, "--format", "xml"), 2, "invalid choice: 'xml'")
    one_line_error(tqa("models"), 2, "{list,check,install}")
    one_line_error(tqa(), 2, "{audit,gate,models,resources}")


def test_missing_config_file_is_a_configuration_error(tmp_path) -> None:
    missing = tmp_path / "nope.cfg"
    env = {"LUIGI_CONFIG_PATH": str(missing)}
    for args in (("audit", DEMO, "--out", tmp_path / "r"), ("models", "list"), ("models", "check")):
        one_line_error(tqa(*args, env=env), 2, "configuration error", f"LUIGI_CONFIG_PATH={missing}: no such file")


def test_bad_settings_are_one_line(tmp_path) -> None:
    cfg = tmp_path / "bad.cfg"
    cfg.write_text("[flags]\nchrf_max_chrf = lots\n", encoding="utf-8")
    one_line_error(tqa("audit", DEMO, "--out", tmp_path / "r", env={"LUIGI_CONFIG_PATH": str(cfg)}), 2,
                   "[flags] chrf_max_chrf = 'lots': must be a number")
    cfg.write_text("[gate]\nwaivers = no/such/waivers.csv\n", encoding="utf-8")
    one_line_error(tqa("audit", DEMO, "--out", tmp_path / "r", env={"LUIGI_CONFIG_PATH": str(cfg)}), 2,
                   "[gate] waivers = no/such/waivers.csv: no such file")
    cfg.write_text("[gate]\nfail_on = untranslated@xx:0.5\n", encoding="utf-8")
    one_line_error(tqa("audit", DEMO, "--out", tmp_path / "r", env={"LUIGI_CONFIG_PATH": str(cfg)}), 2,
                   "'xx' is not a language code")


def test_gate_on_a_folder_that_is_not_a_report(tmp_path) -> None:
    one_line_error(tqa("gate", tmp_path), 2, "is not a tqa report", "summary.json")
    (tmp_path / "summary.json").write_text("{not json", encoding="utf-8")
    one_line_error(tqa("gate", tmp_path), 2, "is not a tqa report")


def test_gate_baseline_that_is_not_a_report(demo_run, tmp_path) -> None:
    one_line_error(tqa("gate", demo_run.out, "--baseline", tmp_path), 2, "--baseline", "is not a tqa report")


def test_no_progress_when_stdout_is_not_a_terminal(demo_copy, tmp_path) -> None:
    proc = tqa("audit", demo_copy, "--out", tmp_path / "r")
    assert proc.returncode == 0 and "\r" not in proc.stdout and "shards" not in proc.stdout
    assert proc.stdout.splitlines()[-2].startswith("verdict: FAIL")
    quiet = tqa("audit", demo_copy, "--out", tmp_path / "r2", "--quiet")
    assert quiet.returncode == 0 and [line.split(":")[0] for line in quiet.stdout.splitlines()] == ["verdict",
                                                                                                    "report"]


def _run_on_a_terminal(args: list[str], timeout: float = 300) -> tuple[int, str]:
    master, slave = pty.openpty()
    proc = subprocess.Popen([*TQA, *args], stdin=slave, stdout=slave, stderr=slave, cwd=ROOT, close_fds=True)
    os.close(slave)
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    os.close(master)
    return proc.wait(timeout=30), out.decode("utf-8", "replace")


def test_progress_on_a_terminal(demo_copy, tmp_path) -> None:
    code, out = _run_on_a_terminal(["audit", str(demo_copy), "--out", str(tmp_path / "r")])
    assert code == 0, out
    for stage in ("tqa: extracting: ", "tqa: identifying languages: ", "tqa: aligning and scoring: ",
                  "tqa: judging…", "tqa: writing pages: "):
        assert stage in out, (stage, out[-3000:])
    assert "1/1 shards…" in out and "\r\x1b[K" in out
    tail = out.rsplit("\r\x1b[K", 1)[1]  # the progress line is cleared before the summary
    assert tail.lstrip().startswith("tqa 0.1.0: audited 5 documents") and "verdict: FAIL" in tail
    code, quiet = _run_on_a_terminal(["audit", str(demo_copy), "--out", str(tmp_path / "r"), "--quiet"])
    assert code == 0 and "shards" not in quiet and "verdict: FAIL" in quiet


def test_the_luigi_way_prints_the_verdict_and_the_report(demo_copy, tmp_path) -> None:
    if not LUIGI.exists():
        pytest.skip(f"{LUIGI} is missing")
    out = tmp_path / "r"
    for cmd in ([str(LUIGI), "--module", "tasks", "AuditCorpus", "--corpus", str(demo_copy), "--out", str(out),
                 "--local-scheduler"],
                [sys.executable, "-m", "tasks", "AuditCorpus", "--corpus", str(demo_copy), "--out", str(out)]):
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300, check=False,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert proc.returncode == 0, proc.stderr[-2000:]
        lines = (proc.stdout + proc.stderr).splitlines()
        assert len(lines) <= 6, lines
        summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
        fail, unverified = summary["counts"].get("fail", 0), summary["counts"].get("unverified", 0)
        assert fail >= 2 and fail + unverified == 4  # the Swedish edition, and the spun pages
        assert any(line.startswith(f"verdict: FAIL ({fail} fail, {unverified} unverified") for line in lines)
        assert f"report: {os.path.abspath(out / 'index.html')}" in lines


def test_models_list_reads_an_installed_comet_checkpoint(tmp_path) -> None:
    folder = tmp_path / "models" / "comet" / "tiny-da"
    (folder / "checkpoints").mkdir(parents=True)
    (folder / "hparams.yaml").write_text("pretrained_model: xlm-roberta-large\ninput_segments:\n- mt\n- src\n- ref\n",
                                         encoding="utf-8")
    (folder / "checkpoints" / "model.ckpt").write_bytes(b"\x80\x02}q\x00.")
    cfg = tmp_path / "models.cfg"
    cfg.write_text(f"[models]\ndir = {tmp_path / 'models'}\n", encoding="utf-8")
    proc = tqa("models", "list", env={"LUIGI_CONFIG_PATH": str(cfg)})
    assert proc.returncode == 0, proc.stderr
    assert "tiny-da  reference-based" in proc.stdout and "encoder xlm-roberta-large" in proc.stdout
    # hparams.yaml is read with PyYAML: a dependency of tqa itself, not only of the model extras
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert any(d.lower().startswith("pyyaml") for d in deps)


def test_the_package_builds_without_warnings(tmp_path) -> None:
    pytest.importorskip("setuptools")
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "--no-build-isolation",
                           "-w", str(tmp_path)], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "would be ignored" not in proc.stdout + proc.stderr
    assert "Warning" not in proc.stderr, proc.stderr[-3000:]
    import zipfile

    wheel = next(tmp_path.glob("tqa-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("pipeline/templates/article.js", "pipeline/templates/index.js", "pipeline/templates/style.css",
                 "pipeline/detectors/base.py", "tasks/__main__.py"):
        assert name in names, name
