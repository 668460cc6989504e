"""The ``tqa`` command: the only place that turns errors into exit codes.

    tqa audit CORPUS --out DIR [--workers N] [--scheduler-url URL]
    tqa gate DIR
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tqa", description="Audit machine-translated articles before they are published.")
    sub = p.add_subparsers(dest="command", required=True)
    a = sub.add_parser("audit", help="audit a corpus into a report folder")
    a.add_argument("corpus", help="folder of .txt/.html/.md documents (optional manifest.csv, glossary.csv)")
    a.add_argument("--out", required=True, help="report folder (created; only tqa's own files are replaced)")
    a.add_argument("--workers", type=int, default=1, help="Luigi workers (default 1)")
    a.add_argument("--scheduler-url", default=None,
                   help="central luigid scheduler, e.g. http://127.0.0.1:8082 (default: a local scheduler)")
    a.add_argument("--quiet", action="store_true", help="only the verdict lines")
    a.add_argument("--require-models", action="store_true",
                   help="fail before any work unless every model the audit needs is installed and loads")
    g = sub.add_parser("gate", help="exit 0 if a report passed, 1 if it failed, 2 if DIR is not a report")
    g.add_argument("report", help="report folder written by 'tqa audit'")
    m = sub.add_parser("models", help="list, check or install the models of the model stages")
    msub = m.add_subparsers(dest="models_command", required=True)
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


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "gate":
        return gate(Path(args.report))
    if args.command == "models":
        from .models_cli import models

        return models(args)
    if args.command == "resources":
        from .resources_cli import resources

        return resources(args)
    return audit(args)


def audit(args: argparse.Namespace) -> int:
    corpus, out = Path(args.corpus), Path(args.out)
    if not corpus.is_dir():
        print(f"tqa: corpus folder {corpus} does not exist", file=sys.stderr)
        return EXIT_USAGE
    from pipeline.layout import problem_with_out

    problem = problem_with_out(out, corpus)
    if problem:
        print(f"tqa: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if args.workers < 1:
        print("tqa: --workers must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    import luigi

    from pipeline.errors import ConfigurationError

    from .audit import AuditCorpus, forget_snapshots, snapshot

    from pipeline.layout import check_work_dir, claim_home, layout, locked, mark_work_dir, prepare

    from .audit import work_dir

    forget_snapshots()
    lay = layout(out)
    try:
        snap = snapshot(str(corpus))  # validates the configuration before any work
        check_work_dir(work_dir(str(out)), corpus, lay)
    except ConfigurationError as exc:
        print(f"tqa: configuration error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not snap.documents:
        print(f"tqa: no .txt, .html, .htm or .md documents in {corpus}", file=sys.stderr)
        return EXIT_USAGE
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
    task = AuditCorpus(corpus=str(corpus), out=str(out))
    try:
        claim_home(lay)
        with locked(lay.lock_path, on_wait=lambda msg: print(f"tqa: {msg}", file=sys.stderr, flush=True)):
            prepare(lay)
            mark_work_dir(work_dir(str(out)))
            result = luigi.build([task], **kwargs)
    except ConfigurationError as exc:
        print(f"tqa: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not task.complete():
        print(result.summary_text if hasattr(result, "summary_text") else "", file=sys.stderr)
        print(f"tqa: the audit did not complete ({result.status.name}); see the messages above", file=sys.stderr)
        return EXIT_FAIL
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    _print_summary(summary, out, quiet=args.quiet)
    return EXIT_OK


def _is_report(folder: Path) -> bool:
    try:
        return "contract" in json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, TypeError):
        return False


def _print_summary(summary: dict, out: Path, quiet: bool) -> None:
    if not quiet:
        skipped = {k: v for k, v in summary["stages"].items() if v != "ran"}
        print(f"tqa {summary['tool']['version']}: audited {summary['run']['documents']} documents, "
              f"{len(summary['articles'])} articles")
        for stage, status in skipped.items():
            print(f"  stage {stage}: {status}")
        for err in summary["errors"]:
            print(f"  {err.get('severity', 'error')}: {err['path']}: {err['error']}")
    failing = [a for a in summary["articles"] if a["verdict"] == "fail"]
    print(f"verdict: {summary['verdict'].upper()} ({len(failing)} of {len(summary['articles'])} articles fail)")
    print(f"report: {os.path.abspath(out / 'index.html')}")


def gate(report: Path) -> int:
    path = report / "summary.json"
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
        verdict = summary["verdict"]
        articles = summary["articles"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"tqa gate: {report} is not a tqa report ({path}: {exc})", file=sys.stderr)
        return EXIT_USAGE
    if verdict == "pass":
        print(f"gate: PASS — {len(articles)} articles")
        return EXIT_OK
    print("gate: FAIL")
    for a in articles:
        if a["verdict"] == "fail":
            print(f"  {a['article_id']} ({a['doc_path']}):")
            for reason in a["reasons"]:
                print(f"    - {reason}")
    errors = [e for e in summary.get("errors", []) if e.get("severity", "error") == "error"]
    for e in errors:
        print(f"  input error: {e['path']}: {e['error']}")
    return EXIT_FAIL


if __name__ == "__main__":
    sys.exit(main())
