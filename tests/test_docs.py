"""docs/output.md follows the code: its flag table is the detector registry's, and every column of the
tables it documents exists (and the other way round)."""

from __future__ import annotations

import re
import subprocess
import sys

from pipeline.detectors import DETECTORS, FLAG_SEVERITY, FLAGS
from pipeline.docs import OUTPUT_MD, flag_table, replace_table
from pipeline.frames import SEGMENTS_SCHEMA, articles_schema

from .conftest import ROOT


def test_the_committed_flag_table_is_the_registrys() -> None:
    text = OUTPUT_MD.read_text(encoding="utf-8")
    assert replace_table(text, flag_table()) == text, "run: python -m pipeline.docs --write"
    proc = subprocess.run([sys.executable, "-m", "pipeline.docs", "--check"], cwd=ROOT, capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_the_flag_table_names_every_flag_detector_and_key() -> None:
    table = flag_table()
    rows = table.splitlines()[2:]
    assert len(rows) == len(DETECTORS)
    for flag in FLAGS:
        assert f"| `{flag}` | " in table and FLAG_SEVERITY[flag] in table
    for det in DETECTORS:
        assert f"`{det.name}`" in table
        for key in det.keys():  # noqa: SIM118 (the detector's [flags] keys, not a dict)
            assert f"`{key}`" in table


def test_every_documented_column_exists_and_every_column_is_documented() -> None:
    text = OUTPUT_MD.read_text(encoding="utf-8")
    for title, schema in (("`segments.parquet`", SEGMENTS_SCHEMA), ("`articles.parquet`", articles_schema(FLAGS))):
        section = text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
        documented = {name for cell in re.findall(r"^\| ([^|]+) \|", section, re.MULTILINE)
                      for name in re.findall(r"`([a-z_]+)`", cell)}
        assert documented == set(schema), (title, documented ^ set(schema))
