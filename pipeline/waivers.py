"""Waivers: known false positives a team has looked at, kept out of the verdict but not out of sight.

A waivers file (``[gate] waivers = FILE``) is a CSV with a header and the columns

* ``scope`` — an article id (every finding of that article) or a segment fingerprint (the
  ``fingerprint`` column of ``segments.parquet``: that segment's findings, wherever it moves in its
  page);
* ``flag`` — the flag waived (``*`` for every flag);
* ``reason`` — why, in words a reviewer will read next to the finding;
* ``expires`` — an ISO date (``2027-03-31``): the waiver applies up to and including that day; empty
  for a waiver that never expires.

Other columns are kept as notes. Lines starting with ``#`` are comments. A malformed row is reported
with the file and its line and not applied (so the finding still counts: a broken waiver never hides
anything). A waived finding keeps its flag and reason; the row's ``waived`` column says which flags
were waived, by which waiver and why, and the judge leaves them out of the article's counts.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from .discover import text_digest
from .frames import WAIVED_TYPE, list_column

COLUMNS = ("scope", "flag", "reason", "expires")
ANY_FLAG = "*"


@dataclass(frozen=True)
class Waiver:
    """One row of the waivers file."""

    line: int  # line number in the file (the header is line 1)
    scope: str
    flag: str
    reason: str
    expires: dt.date | None

    def as_dict(self) -> dict[str, object]:
        return {"line": self.line, "scope": self.scope, "flag": self.flag, "reason": self.reason,
                "expires": self.expires.isoformat() if self.expires else None}


@dataclass(frozen=True)
class WaiverProblem:
    line: int
    error: str


@dataclass(frozen=True)
class WaiverSet:
    """The waivers file as of one day: what applies, what has expired, what could not be read."""

    path: str
    as_of: dt.date
    active: tuple[Waiver, ...] = ()
    expired: tuple[Waiver, ...] = ()
    problems: tuple[WaiverProblem, ...] = ()

    @property
    def state(self) -> str:
        """Digest of what this set does on its day: it changes when a waiver expires, or the file changes."""
        if not self.path:
            return ""
        return text_digest(self.path, *(f"{w.line}:{w.scope}:{w.flag}" for w in self.active),
                           *(f"x{w.line}" for w in self.expired), *(f"!{p.line}" for p in self.problems))


def no_waivers(as_of: dt.date | None = None) -> WaiverSet:
    return WaiverSet("", as_of or dt.date.today())


def parse_waivers(text: str, path: str, as_of: dt.date, flags: Iterable[str]) -> WaiverSet:
    """The waivers of ``text`` (the content of the file at ``path``) as of the day ``as_of``.

    ``flags``: the flags a waiver may name. A row whose expiry date is before ``as_of`` is expired;
    a row that cannot be used is a problem naming its line."""
    if not path:
        return WaiverSet("", as_of)
    if text.startswith("unreadable:"):
        return WaiverSet(path, as_of, problems=(WaiverProblem(0, "the file cannot be read"),))
    known = set(flags)
    lines = text.lstrip("\ufeff").splitlines()
    numbered = [(i, line) for i, line in enumerate(lines, 1) if line.strip() and not line.lstrip().startswith("#")]
    if not numbered:
        return WaiverSet(path, as_of, problems=(WaiverProblem(1, "empty file: expected a header "
                                                                 f"{','.join(COLUMNS)}"),))
    header_line, header_text = numbered[0]
    header = [h.strip().lower() for h in next(csv.reader([header_text]))]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return WaiverSet(path, as_of, problems=(WaiverProblem(header_line, f"header lacks {', '.join(missing)} "
                                                                           f"(expected {','.join(COLUMNS)})"),))
    active, expired, problems = [], [], []
    for number, line in numbered[1:]:
        values = next(csv.reader(io.StringIO(line)), [])
        if len(values) < len(header):
            values += [""] * (len(header) - len(values))
        row = {h: v.strip() for h, v in zip(header, values, strict=False)}
        waiver, problem = _row(number, row, known)
        if problem:
            problems.append(WaiverProblem(number, problem))
        elif waiver.expires is not None and waiver.expires < as_of:
            expired.append(waiver)
        else:
            active.append(waiver)
    return WaiverSet(path, as_of, tuple(active), tuple(expired), tuple(problems))


def _row(number: int, row: dict[str, str], known: set[str]) -> tuple[Waiver, str | None]:
    scope, flag, reason, expires = (row[c] for c in COLUMNS)
    date = None
    if not scope:
        return _none(number), "no scope: give an article id or a segment fingerprint"
    if flag != ANY_FLAG and flag not in known:
        return _none(number), f"flag {flag!r} is not one tqa raises (one of {', '.join(sorted(known))}, or *)"
    if not reason:
        return _none(number), "no reason: say why the finding is waived"
    if expires:
        try:
            date = dt.date.fromisoformat(expires)
        except ValueError:
            return _none(number), f"expires {expires!r} is not an ISO date (YYYY-MM-DD)"
    return Waiver(number, scope, flag, reason, date), None


def _none(number: int) -> Waiver:
    return Waiver(number, "", "", "", None)


def apply_waivers(segments: pl.DataFrame, waivers: WaiverSet) -> pl.DataFrame:
    """``segments`` (judged rows: article_id, fingerprint, flags) with a ``waived`` column: for each
    flag of the row that an active waiver covers, the flag and the waiver (scope, reason, expiry,
    line). A segment-scope waiver wins over an article-scope one for the same flag."""
    by_scope: dict[str, list[Waiver]] = {}
    for w in waivers.active:
        by_scope.setdefault(w.scope, []).append(w)
    out: list[list[dict]] = []
    if by_scope:
        for article_id, fingerprint, flags in segments.select("article_id", "fingerprint", "flags").iter_rows():
            if not flags:
                out.append([])
                continue
            candidates = by_scope.get(fingerprint or "", []) + by_scope.get(article_id, [])
            row = []
            for flag in flags:
                match = next((c for c in candidates if c.flag in (flag, ANY_FLAG)), None)
                if match is not None:
                    row.append({"flag": flag, "scope": match.scope, "reason": match.reason,
                                "expires": match.expires.isoformat() if match.expires else None, "line": match.line})
            out.append(row)
    else:
        out = [[] for _ in range(segments.height)]
    return segments.with_columns(list_column("waived", out, WAIVED_TYPE))


def waiver_summary(waivers: WaiverSet, applied: dict[int, int]) -> dict[str, object]:
    """The ``waivers`` object of summary.json. ``applied``: findings waived, by waiver line."""
    return {"file": waivers.path or None, "as_of": waivers.as_of.isoformat(), "state": waivers.state,
            "applied": sum(applied.values()),
            "active": [{**w.as_dict(), "applied": applied.get(w.line, 0)} for w in waivers.active],
            "expired": [w.as_dict() for w in waivers.expired],
            "problems": [{"line": p.line, "error": p.error} for p in waivers.problems]}


def waiver_problems(waivers: WaiverSet) -> list[dict[str, str]]:
    """Entries for summary.json's ``errors`` (warnings): malformed rows and expired waivers, with
    the file and the line."""
    out = [{"path": waivers.path, "severity": "warning",
            "error": f"line {p.line}: {p.error}; the row is not applied" if p.line else p.error}
           for p in waivers.problems]
    out += [{"path": waivers.path, "severity": "warning",
             "error": f"line {w.line}: waiver of {w.flag} for {w.scope} expired on {w.expires.isoformat()}; its "
                      f"findings count again — renew it (a later date) or remove the line"}
            for w in waivers.expired if w.expires]
    return out


def today() -> dt.date:
    """The day waivers are judged on: ``TQA_TODAY`` (an ISO date, for a reproducible re-run) or today."""
    import os

    named = os.environ.get("TQA_TODAY", "").strip()
    if named:
        try:
            return dt.date.fromisoformat(named)
        except ValueError:
            from .errors import ConfigurationError

            raise ConfigurationError(f"TQA_TODAY={named}: not an ISO date (YYYY-MM-DD)") from None
    return dt.date.today()


def read_waivers(path: str, as_of: dt.date, flags: Iterable[str]) -> WaiverSet:
    """The waivers file named by ``[gate] waivers`` (empty: none), as of ``as_of``."""
    if not path:
        return no_waivers(as_of)
    from pathlib import Path

    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = f"unreadable:{path}"
    return parse_waivers(text, path, as_of, flags)
