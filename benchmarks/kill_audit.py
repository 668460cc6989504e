"""Kill ``tqa audit`` with SIGKILL at many points of a run that replaces a report, and check the folder.

    python benchmarks/kill_audit.py [--points 24]

Runs the suite's kill test (``tests/test_report_folder.py``) with ``--points`` kills spread
evenly from 5% to 97% of an uninterrupted run's time (the suite itself kills at six points).
After each kill the report folder must be exactly the old report or exactly the new one (its
summary, tables and pages of one run), and a re-run must give what an uninterrupted run gives.
Prints one line per kill and the outcome; exits as pytest does. Takes about half a minute per
point on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--points", type=int, default=24, help="kills (default 24)")
    args = ap.parse_args()
    env = {**os.environ, "TQA_KILL_POINTS": str(args.points)}
    test = "tests/test_report_folder.py::test_a_killed_audit_leaves_the_old_report_or_the_new_one"
    return subprocess.call([sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", test], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
