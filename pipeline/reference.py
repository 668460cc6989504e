"""The settings reference (``docs/settings.md``), written from the typed definitions themselves.

    python -m pipeline.reference > docs/settings.md

A test checks that the committed file is what this prints, so the reference cannot drift from the
code.
"""

from __future__ import annotations

import sys

from .config import SECTIONS
from .detectors import DETECTORS


def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(map(str, value)) or "(empty)"
    if isinstance(value, dict):
        return ", ".join(f"{k}:{v:g}" for k, v in value.items())
    return str(value) if value != "" else "(empty)"


def _allowed(spec) -> str:  # noqa: ANN001
    parts = []
    if spec.choices:
        parts.append(" \\| ".join(spec.choices))
    if spec.lo is not None and spec.hi is not None:
        parts.append(f"{spec.lo:g} … {spec.hi:g}")
    elif spec.lo is not None:
        parts.append(f"≥ {spec.lo:g}")
    return "; ".join(parts)


def settings_reference() -> str:
    """The markdown of every ``luigi.cfg`` section and key: default, what is allowed, what it does."""
    out = ["# Settings reference", "",
           "Every key tqa reads from `luigi.cfg` (or the file `LUIGI_CONFIG_PATH` names), by section, with its",
           "default and what it does. An unknown section or key, or a value outside what is allowed, stops the run",
           "before any work with a message naming the key. Written by `python -m pipeline.reference` from the",
           "definitions in `pipeline/config.py`, `pipeline/resources.py` and `pipeline/detectors/`.", ""]
    for name, cls in SECTIONS.items():
        out += [f"## [{name}]", "", "| key | default | allowed | meaning |", "| --- | --- | --- | --- |"]
        out += [f"| `{key}` | `{_value(default)}` | {_allowed(spec)} | {spec.doc} |"
                for key, _, default, spec in cls.specs()]
        out.append("")
    out += ["## [flags]", "", "Each detector's thresholds, as `<detector>_<key>`; the detector raises the flag named.",
            "", "| key | default | allowed | meaning |", "| --- | --- | --- | --- |"]
    for det in DETECTORS:
        for key, _, default, spec in det.Settings.specs():
            out.append(f"| `{det.name}_{key}` | `{_value(default)}` | {_allowed(spec)} | `{det.flag}`: {spec.doc} |")
    out.append("")
    return "\n".join(out)


if __name__ == "__main__":
    sys.stdout.write(settings_reference())
