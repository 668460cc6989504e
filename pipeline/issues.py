"""Findings as a reviewer and a CI job see them: severities, grouped reasons, the worst articles first.

Shared by the report pages (``pipeline.report``) and the gate (``pipeline.gate``), so the page, the
terminal and the CI annotations order and name things the same way. Severities come from the detector
registry (``pipeline.detectors.FLAG_SEVERITY``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .detectors import FLAG_SEVERITY, FLAGS
from .detectors.base import SEVERITIES

#: A short mark for each severity, shown with its name (never colour alone).
SEVERITY_MARK = {"critical": "✖", "major": "▲", "minor": "■", "info": "ℹ"}

_PARENS = re.compile(r"\s*\((?:confidence\s+)?[<>≤≥=\s]*[\d.,%]+[^()]*\)")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*%?")
_QUOTED = re.compile(r"“[^”]*”")


def severity(flag: str) -> str:
    """The severity of a flag (``info`` for a flag the registry does not know)."""
    return FLAG_SEVERITY.get(flag, "info")


def severity_rank(sev: str) -> int:
    """0 for critical … 3 for info (unknown: after info)."""
    return SEVERITIES.index(sev) if sev in SEVERITIES else len(SEVERITIES)


def flag_order(flag: str) -> tuple[int, int, str]:
    """Sort key of flags: most severe first, then the registry's order."""
    return (severity_rank(severity(flag)), FLAGS.index(flag) if flag in FLAGS else len(FLAGS), flag)


def reason_key(reason: str) -> str:
    """What a reason says once its particulars (numbers, confidences, quoted text) are taken out, so
    that the same finding on 25 segments reads once: "en (confidence 1.00) where sv was expected" and
    "en (confidence 0.97) where sv was expected" share the key "en where sv was expected"."""
    text = _PARENS.sub("", reason)
    head, sep, _ = text.partition(": ")
    if sep and len(head) <= 80:
        text = head
    text = _QUOTED.sub("“…”", text)
    return " ".join(_NUMBER.sub("N", text).split())


@dataclass(frozen=True)
class ReasonGroup:
    """Segments whose findings of one flag say the same thing."""

    flag: str
    severity: str
    text: str  # the reason itself when every member says exactly that, else its key
    anchors: tuple[str, ...]  # where each member is (page anchors, or segment ids as text)

    @property
    def count(self) -> int:
        return len(self.anchors)


def group_reasons(findings: Iterable[tuple[str, str, str]]) -> list[ReasonGroup]:
    """``findings``: (flag, reason, anchor) in page order. Groups by flag and ``reason_key``, most
    severe flag first, larger groups first within a flag."""
    groups: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for flag, reason, anchor in findings:
        groups.setdefault((flag, reason_key(reason)), []).append((reason, anchor))
    out = []
    for (flag, key), members in groups.items():
        reasons = {r for r, _ in members}
        out.append(ReasonGroup(flag, severity(flag), members[0][0] if len(reasons) == 1 else _readable(key),
                               tuple(a for _, a in members)))
    order = {f: i for i, f in enumerate(dict.fromkeys(f for f, _ in groups))}
    return sorted(out, key=lambda g: (flag_order(g.flag), -g.count, order[g.flag]))


def _readable(key: str) -> str:
    """A reason key as a reader sees it: "N word substitutions break …" -> "word substitutions break …",
    other particulars as "…"."""
    text = key.removeprefix("N ")
    return re.sub(r"\bN\b", "…", text)


def severity_counts(flag_counts: Mapping[str, int | None]) -> dict[str, int]:
    """Segments flagged per severity (boilerplate, an ``info`` flag, is left out)."""
    out = dict.fromkeys(SEVERITIES, 0)
    for flag, count in flag_counts.items():
        if flag != "boilerplate" and count:
            out[severity(flag)] = out.get(severity(flag), 0) + int(count)
    return out


def worst_first_key(verdict: str, flag_counts: Mapping[str, int | None], n_body: int | None,
                    article_id: str) -> tuple:
    """Sort key of articles, worst first: failing, then unverified, then passing, then references;
    within a verdict more critical findings first, then more major ones, then a larger flagged share."""
    rank = {"fail": 0, "unverified": 1, "pass": 2, "reference": 3}.get(verdict, 1)
    sev = severity_counts(flag_counts)
    issues = sum(sev.values())
    return (rank, -sev["critical"], -sev["major"], -(issues / max(1, n_body or 0)), -issues, article_id)


def top_flags(flag_counts: Mapping[str, int | None], n: int = 3) -> list[tuple[str, int]]:
    """The article's flags with a count, most severe and most frequent first (boilerplate left out)."""
    items = [(f, int(c)) for f, c in flag_counts.items() if c and f != "boilerplate"]
    return sorted(items, key=lambda fc: (flag_order(fc[0])[0], -fc[1], flag_order(fc[0])))[:n]


def has_issue(flags: Sequence[str]) -> bool:
    """A row carries an issue when it has a flag other than ``boilerplate``."""
    return any(f != "boilerplate" for f in flags)


_REMEDIES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(p, re.IGNORECASE), r) for p, r in (
    (r"binary file", "Convert it to text (or HTML/Markdown), or move it out of the corpus."),
    (r"empty file", "Remove it from the corpus, or give it content."),
    (r"over the limit of .* max_file_mb", "Split the file, or raise [extract] max_file_mb in luigi.cfg."),
    (r"undecodable bytes|not UTF-8", "Save the file as UTF-8 (or add its encoding to [extract] fallback_encodings)."),
    (r"no text found", "Check that the file holds text outside markup; otherwise remove it."),
    (r"cannot extract text", "Open the file and check that it is well-formed; this is a bug if it is."),
    (r"names the original .* not in the", "Fix the original's path in manifest.csv (relative to the corpus)."),
    (r"is not a document of the corpus", "Remove the row from manifest.csv, or add the document."),
    (r"fields where the header has", "Give the row of manifest.csv as many fields as its header."),
    (r"listed twice", "Remove the duplicate row from manifest.csv."),
    (r"lang .* is not a|language .* is not one", "Use an ISO 639-1 code (sv, de, fr, ja …) in manifest.csv."),
    (r"role .* must be", "Write original or variant in the role column."),
    (r"names itself as its original", "Leave its original empty (an original) or name another document."),
    (r"manifest|header is", "Fix manifest.csv's header: path,lang,original[,role]."),
    (r"glossary", "Give glossary.csv a header with a 'term' column."),
    (r"waiver .* expired", "Renew the waiver (a later expires date) or remove its row."),
    (r"line \d+: .*the row is not applied|header lacks", "Fix the row in the waivers file ([gate] waivers)."),
    (r"no Argos Translate package|COMET", "Run `make models`, or `tqa models install --from FILE` offline."),
))


def remedy(path: str, error: str) -> str:
    """What to do about an input problem of ``summary.json``: the message's own advice (after " — ")
    when it has some, else advice for the kind of problem, else "Look at the file"."""
    _, sep, advice = error.rpartition(" — ")
    if sep and advice:
        return advice[0].upper() + advice[1:]
    for pattern, todo in _REMEDIES:
        if pattern.search(error):
            return todo
    return f"Look at {path}." if path else "Look at the file."
