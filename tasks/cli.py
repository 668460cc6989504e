"""The ``tqa`` command: the only place that turns errors into exit codes.

    tqa audit CORPUS --out DIR [--workers N] [--scheduler-url URL] [--quiet] [--require-models]
    tqa gate DIR [--format text|json|junit|github] [--verbose] [--baseline OLD_DIR]
    tqa models list|check|install
    tqa --version

Exit codes: 0 done (``audit``: whatever the verdict; ``gate``: pass), 1 a task failed, a model is
missing or the gate failed, 2 a usage or configuration error — always with one line on stderr that
names the argument, the file or the setting.
"""

from __future__ import annotations

import argparse
import difflib
import json
import multiprocessing as mp
import os
import socket
import sys
import time
from pathlib import Path
from typing import IO, ClassVar, NoReturn
from urllib.parse import urlparse

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """A mistake in the command line; the message is the one line the user sees."""


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors (exit 2) and a suggestion for a mistyped option."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _parser() -> argparse.ArgumentParser:
    from pipeline import __version__

    p = _Parser(prog="tqa", description="Audit machine-translated articles before they are published.")
    p.add_argument("--version", action="version", version=f"tqa {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser, metavar="{audit,gate,models,resources}")
    a = sub.add_parser("audit", help="audit a corpus into a report folder")
    a.add_argument("corpus", help="folder of .txt/.html/.md documents (optional manifest.csv, glossary.csv)")
    a.add_argument("--out", help="report folder (created; only tqa's own files are replaced); required")
    a.add_argument("--workers", type=int, default=1, help="Luigi workers (default 1)")
    a.add_argument("--scheduler-url", default=None,
                   help="central luigid scheduler, e.g. http://127.0.0.1:8082 (default: a local scheduler)")
    a.add_argument("--quiet", action="store_true", help="only the verdict lines, no progress")
    a.add_argument("--require-models", action="store_true",
                   help="fail before any work unless every model the audit needs is installed and loads")
    g = sub.add_parser("gate", help="exit 0 if a report passes, 1 if it fails, 2 if DIR is not a report")
    g.add_argument("report", help="report folder written by 'tqa audit'")
    g.add_argument("--format", choices=("text", "json", "junit", "github"), default="text",
                   help="text (default: counts and the worst articles), json, junit (JUnit XML) or github "
                        "(workflow commands that annotate the documents)")
    g.add_argument("--verbose", action="store_true", help="text: every failing and unverified article, all reasons")
    g.add_argument("--baseline", metavar="OLD_DIR",
                   help="an earlier report: fail only on what newly fails (new failing articles, new findings, "
                        "score drops a paired bootstrap calls real)")
    g.add_argument("--alpha", type=float, default=0.05, help="with --baseline: significance level (default 0.05)")
    g.add_argument("--bootstrap", type=int, default=1000, help="with --baseline: bootstrap resamples (default 1000)")
    m = sub.add_parser("models", help="list, check or install the models of the model stages")
    msub = m.add_subparsers(dest="models_command", required=True, parser_class=_Parser, metavar="{list,check,install}")
    msub.add_parser("list", help="installed models and what each stage would use")
    c = msub.add_parser("check", help="verify the models an audit needs are present and load (exit 1 if not)")
    c.add_argument("--corpus", help="take the languages to translate from this corpus's manifest too")
    i = msub.add_parser("install", help="install models: from the network, or --from a local file or folder")
    i.add_argument("--from", dest="source", help="an .argosmodel file, an Argos package folder or a COMET "
                                                 "checkpoint folder (no network needed)")
    i.add_argument("--encoder", help="with a COMET checkpoint: the encoder folder (tokenizer + config.json)")
    i.add_argument("--corpus", help="install Argos packages for this corpus's languages too")
    i.add_argument("--comet", default="Unbabel/wmt22-comet-da", help="COMET model to download (network)")
    from .resources_cli import add_parser

    add_parser(sub)
    return p


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The parsed command line. Unknown options are reported before missing ones ("--ouy X" is a
    typo of --out, not a missing --out), with the closest known option."""
    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        unknown = next((x for x in extra if x.startswith("-")), extra[0])
        known = [o for action in _subparser(parser, args)._actions for o in action.option_strings]
        close = difflib.get_close_matches(unknown.split("=")[0], known, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise UsageError(f"tqa {args.command}: unknown argument {unknown}{hint} (see tqa {args.command} --help)")
    if args.command == "audit" and not args.out:
        raise UsageError("tqa audit: --out DIR is required: the folder the report is written to")
    return args


def _subparser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action.choices.get(args.command, parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    from pipeline.errors import ConfigurationError, TqaError

    try:
        args = parse_args(argv)
        if args.command == "gate":
            return gate(args)
        from . import config as cfg

        cfg.check_config_path()
        if args.command == "models":
            from .models_cli import models

            return models(args)
        if args.command == "resources":
            from .resources_cli import resources

            return resources(args)
        return audit(args)
    except UsageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_USAGE
    except ConfigurationError as exc:
        print(f"tqa: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except TqaError as exc:
        print(f"tqa: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        print("tqa: interrupted", file=sys.stderr)
        return 130


# --------------------------------------------------------------------------- audit


def check_paths(corpus: Path, out: Path) -> None:
    """The corpus is a folder and --out a folder tqa may write, or UsageError saying which is not."""
    if not corpus.exists():
        raise UsageError(f"tqa: corpus folder {corpus} does not exist")
    if not corpus.is_dir():
        raise UsageError(f"tqa: corpus {corpus} is a file, not a folder; give the folder that holds the documents")
    if out.exists() and not out.is_dir():
        what = "a file" if out.is_file() else "not a folder"
        raise UsageError(f"tqa: --out {out} is {what}; name a folder for the report (a new one, or an earlier report)")
    from pipeline.layout import problem_with_out

    problem = problem_with_out(out, corpus)
    if problem:
        raise UsageError(f"tqa: {problem}")
    beside = Path(os.path.abspath(out)).parent  # the report is built beside --out and switched in
    parent = next((p for p in [beside, *beside.parents] if p.exists()), None)
    if parent is not None and not os.access(parent, os.W_OK):
        raise UsageError(f"tqa: --out {out}: {parent} is not writable")


def check_scheduler(url: str, timeout: float = 5.0) -> None:
    """A central scheduler URL that answers, or UsageError saying why not (before any work, instead of
    Luigi's retries and tracebacks)."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise UsageError(f"tqa: --scheduler-url {url}: not an http(s) URL (e.g. http://127.0.0.1:8082)")
    try:
        port = parsed.port or (443 if parsed.scheme == "https" else 80)
    except ValueError:
        raise UsageError(f"tqa: --scheduler-url {url}: the port is not a number") from None
    try:
        with socket.create_connection((parsed.hostname, port), timeout=timeout):
            pass
    except OSError as exc:
        why = exc.strerror or str(exc) or type(exc).__name__
        raise UsageError(f"tqa: cannot reach the Luigi scheduler at {url} ({why}); start luigid there, or leave "
                         f"out --scheduler-url to use a local scheduler") from None


def audit(args: argparse.Namespace) -> int:
    corpus, out = Path(args.corpus), Path(args.out)
    check_paths(corpus, out)
    if args.workers < 1:
        raise UsageError("tqa: --workers must be at least 1")
    if args.scheduler_url:
        check_scheduler(args.scheduler_url)
    import luigi

    from . import audit as audit_tasks

    from pipeline.layout import check_work_dir, claim_home, layout, locked, mark_work_dir, prepare

    audit_tasks.forget_snapshots()
    lay = layout(out)
    snap = audit_tasks.snapshot(str(corpus))  # validates the configuration before any work
    check_work_dir(audit_tasks.work_dir(str(out)), corpus, lay)
    if not snap.documents:
        raise UsageError(f"tqa: no .txt, .html, .htm or .md documents in {corpus}")
    if args.require_models:
        from .models_cli import check_models

        if not check_models(snap.configs, snap.manifest_languages):
            print("tqa: --require-models: the audit needs the models above", file=sys.stderr)
            return EXIT_FAIL
    kwargs = {"workers": args.workers, "detailed_summary": True, "log_level": "WARNING"}
    if args.scheduler_url:
        kwargs["scheduler_url"] = args.scheduler_url
    else:
        kwargs["local_scheduler"] = True
    task = audit_tasks.AuditCorpus(corpus=str(corpus), out=str(out))
    progress = Progress(sys.stdout, len(snap.shards)) if not args.quiet and sys.stdout.isatty() else None
    audit_tasks.ANNOUNCE = False  # this command prints the summary itself
    try:
        if progress:
            progress.attach()
        claim_home(lay)
        with locked(lay.lock_path, on_wait=lambda msg: print(f"tqa: {msg}", file=sys.stderr, flush=True)):
            prepare(lay)
            mark_work_dir(audit_tasks.work_dir(str(out)))
            result = luigi.build([task], **kwargs)
    finally:
        audit_tasks.ANNOUNCE = True
        if progress:
            progress.detach()
    if not task.complete():
        print(result.summary_text if hasattr(result, "summary_text") else "", file=sys.stderr)
        print(f"tqa: the audit did not complete ({result.status.name}); see the messages above", file=sys.stderr)
        return EXIT_FAIL
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    print_summary(summary, out, quiet=args.quiet)
    return EXIT_OK


def print_summary(summary: dict, out: Path, quiet: bool = False, stream: IO[str] | None = None) -> None:
    """What an audit ends with: skipped stages, input errors, the verdict and the report's path."""
    stream = stream or sys.stdout
    if not quiet:
        skipped = {k: v for k, v in summary["stages"].items() if v != "ran"}
        print(f"tqa {summary['tool']['version']}: audited {summary['run']['documents']} documents, "
              f"{len(summary['articles'])} articles", file=stream)
        for stage, status in skipped.items():
            print(f"  stage {stage}: {status}", file=stream)
        errors = summary["errors"]
        for err in errors[:10]:
            print(f"  {err.get('severity', 'error')}: {err['path']}: {err['error']}", file=stream)
        if len(errors) > 10:
            print(f"  … and {len(errors) - 10} more problems (summary.json, index.html)", file=stream)
    counts = summary.get("counts") or {}
    variants = sum(v for k, v in counts.items() if k != "reference")
    detail = ", ".join(f"{counts.get(k, 0)} {k}" for k in ("fail", "unverified", "pass"))
    print(f"verdict: {summary['verdict'].upper()} ({detail} of {variants} variant articles; "
          f"{counts.get('reference', 0)} originals)", file=stream)
    print(f"report: {os.path.abspath(out / 'index.html')}", file=stream)  # the link, not this generation


class Progress:
    """One updating terminal line: the stage running and how many of its shards are done.

    Luigi event handlers: dependencies discovered and already present (in the scheduling process) say
    how many tasks of each family will run; starts and successes move the count. Counts live in shared
    memory, so tasks that run in forked worker processes (``--workers N``) count too."""

    LABELS: ClassVar[dict[str, str]] = {"ExtractShard": "extracting", "SurveyLanguages": "surveying the corpus's languages",
                                         "IdentifyLanguageShard": "identifying languages",
                                         "StructureCorpus": "finding boilerplate and articles",
                                         "PairArticles": "pairing variants with originals",
                                         "BackTranslate": "back-translating", "ScoreShard": "aligning and scoring",
                                         "CometCorpus": "COMET", "JudgeCorpus": "judging",
                                         "ReportShard": "writing pages", "ReportCorpus": "writing pages",
                                         "AuditCorpus": "writing tables, index and junit.xml"}
    SHARDED = ("ExtractShard", "IdentifyLanguageShard", "ScoreShard", "ReportShard")

    def __init__(self, stream: IO[str], n_shards: int) -> None:
        self.stream, self.n_shards = stream, n_shards
        self.families = list(self.LABELS)
        self.done = mp.Array("i", len(self.families), lock=False)
        self.seen: dict[str, set[str]] = {f: set() for f in self.families}
        self.present: dict[str, set[str]] = {f: set() for f in self.families}
        self.t0 = time.monotonic()
        self._handlers: list = []

    def attach(self) -> None:
        import luigi

        for event, fn in ((luigi.Event.DEPENDENCY_DISCOVERED, self._discovered),
                          (luigi.Event.DEPENDENCY_PRESENT, self._present),
                          (luigi.Event.START, self._start), (luigi.Event.SUCCESS, self._success)):
            luigi.Task.event_handler(event)(fn)
            self._handlers.append((event, fn))

    def detach(self) -> None:
        import luigi

        for event, fn in self._handlers:
            luigi.Task._event_callbacks[luigi.Task][event].discard(fn)
        self._handlers.clear()
        self.stream.write("\r\x1b[K")
        self.stream.flush()

    def _discovered(self, task, dependency) -> None:
        if dependency.task_family in self.seen:
            self.seen[dependency.task_family].add(dependency.task_id)

    def _present(self, task) -> None:
        if task.task_family in self.present:
            self.present[task.task_family].add(task.task_id)

    def _start(self, task) -> None:
        self._show(task.task_family)

    def _success(self, task) -> None:
        family = task.task_family
        if family in self.families:
            self.done[self.families.index(family)] += 1
        self._show(family)

    def line(self, family: str) -> str:
        """The progress line for a task of ``family`` (starting or just done)."""
        label = self.LABELS.get(family, family)
        elapsed = f"{time.monotonic() - self.t0:.0f} s"
        if family not in self.SHARDED:
            return f"tqa: {label}… ({elapsed})"
        done = self.done[self.families.index(family)]
        total = len(self.seen[family] - self.present[family]) or self.n_shards
        return f"tqa: {label}: {min(done, total)}/{max(total, done)} shards… ({elapsed})"

    def _show(self, family: str) -> None:
        try:
            self.stream.write("\r\x1b[K" + self.line(family))
            self.stream.flush()
        except (OSError, ValueError):
            pass


# --------------------------------------------------------------------------- gate


def read_report(folder: Path, what: str = "") -> dict:
    """The summary of the report in ``folder``, or UsageError naming the file and the problem."""
    path = folder / "summary.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(summary, dict) or "verdict" not in summary or "articles" not in summary:
            raise ValueError("no verdict or articles")
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise UsageError(f"tqa gate: {what}{folder} is not a tqa report ({path}: {reason})") from None
    return summary


def read_segments(folder: Path, what: str = ""):
    import polars as pl

    path = folder / "segments.parquet"
    try:
        return pl.read_parquet(path)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise UsageError(f"tqa gate: {what}{path} cannot be read ({exc})") from None


def locator(corpus: str, cwd: Path | None = None):
    """``locate(doc_path, text) -> (path to show, line)`` for annotations: the document's path relative
    to ``cwd`` (as CI shows files) and the line where ``text`` starts, when the file holds it."""
    cwd = cwd or Path.cwd()
    cache: dict[str, str | None] = {}

    def locate(doc_path: str, text: str | None) -> tuple[str, int | None]:
        full = Path(corpus) / doc_path
        try:
            shown = os.path.relpath(full.resolve(), cwd.resolve())
        except ValueError:
            shown = str(full)
        if shown.startswith(".." + os.sep) or shown == "..":
            shown = str(full)
        if not text:
            return shown, None
        if doc_path not in cache:
            try:
                cache[doc_path] = full.read_text(encoding="utf-8", errors="replace")
            except OSError:
                cache[doc_path] = None
        return shown, find_line(cache[doc_path], text)

    return locate


def find_line(content: str | None, text: str) -> int | None:
    """The 1-based line of ``content`` where ``text`` (or its first words) starts, or None."""
    if not content or not text:
        return None
    import re

    words = text.split()
    for probe in (text, " ".join(words[:8]), " ".join(words[:4])):
        if not probe:
            continue
        pattern = r"\s+".join(re.escape(w) for w in probe.split())
        m = re.search(pattern, content)
        if m:
            return content.count("\n", 0, m.start()) + 1
    return None


def gate(args: argparse.Namespace) -> int:
    from pipeline.gate import evaluate, format_github, format_json, format_text
    from pipeline.junit import junit_xml

    report = Path(args.report)
    summary = read_report(report)
    need_rows = args.format in ("json", "junit", "github") or args.verbose or args.baseline
    segments = read_segments(report) if need_rows and (report / "segments.parquet").exists() else None
    baseline = None
    if args.baseline:
        if not 0 < args.alpha < 1:
            raise UsageError(f"tqa gate: --alpha {args.alpha}: must be between 0 and 1")
        if args.bootstrap < 100:
            raise UsageError(f"tqa gate: --bootstrap {args.bootstrap}: use at least 100 resamples")
        old = Path(args.baseline)
        baseline = (read_report(old, "--baseline "), read_segments(old, "--baseline "))
    result = evaluate(summary, segments, baseline, args.baseline, alpha=args.alpha, n_bootstrap=args.bootstrap)
    if args.format == "json":
        sys.stdout.write(format_json(result))
    elif args.format == "junit":
        sys.stdout.write(junit_xml(result))
    elif args.format == "github":
        sys.stdout.write(format_github(result, locator(result.corpus)))
    else:
        sys.stdout.write(format_text(result, verbose=args.verbose))
        sys.stdout.write(_expired_since(summary))
    return EXIT_OK if result.verdict == "pass" else EXIT_FAIL


def _expired_since(summary: dict) -> str:
    """A note for waivers the audit applied that have expired since it ran."""
    from pipeline.waivers import today

    now = today().isoformat()
    late = [w for w in (summary.get("waivers") or {}).get("active", []) if w.get("expires") and w["expires"] < now]
    return "".join(f"note: waiver line {w['line']} ({w['flag']} for {w['scope']}) expired on {w['expires']}, after "
                   f"this report was written; audit again\n" for w in late)


if __name__ == "__main__":
    sys.exit(main())
