"""Verdicts: per article from its flag counts and ``[gate] fail_on``, and for the whole run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .config import FLAG_NAMES, GateConfig


def article_verdict(role: str, flag_counts: dict[str, int], n_body: int, cfg: GateConfig) -> tuple[str, list[str]]:
    """('pass' | 'fail', reasons). Originals are the reference and always pass."""
    if role == "original":
        return "pass", []
    reasons = []
    for flag, max_share in cfg.fail_on.items():
        count = flag_counts.get(flag, 0)
        if count == 0:
            continue
        share = count / max(1, n_body)
        if max_share == 0.0 or share > max_share:
            limit = "any" if max_share == 0.0 else f"more than {max_share:.0%}"
            reasons.append(f"{flag}: {count} of {n_body} body segments ({share:.0%}); the gate fails {limit}")
    return ("fail" if reasons else "pass"), reasons


def judge_article(role: str, row_flags: Iterable[list[str]], n_body: int,
                  cfg: GateConfig) -> tuple[dict[str, int], str, list[str]]:
    """Flag counts of an article (from each row's flags) and its verdict with reasons."""
    counts = Counter(f for flags in row_flags for f in flags)
    flag_counts = {f: counts.get(f, 0) for f in FLAG_NAMES}
    return (flag_counts, *article_verdict(role, flag_counts, n_body, cfg))


def run_verdict(article_verdicts: list[str], errors: list[dict], cfg: GateConfig) -> str:
    if any(v == "fail" for v in article_verdicts):
        return "fail"
    if cfg.fail_on_errors and any(e.get("severity", "error") == "error" for e in errors):
        return "fail"
    return "pass"
