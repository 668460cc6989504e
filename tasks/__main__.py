"""``python -m tasks AuditCorpus --corpus DIR --out DIR``: Luigi's own command line for tqa's tasks,
with a local scheduler and warnings-only logging unless told otherwise; AuditCorpus ends by printing
the verdict and the report's path. ``luigi --module tasks …`` works as well."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> None:
    from luigi.retcodes import run_with_retcodes

    args = list(sys.argv[1:] if argv is None else argv)
    if "--module" not in args:
        args = ["--module", "tasks", *args]
    if "--log-level" not in args:
        args += ["--log-level", "WARNING"]
    if "--scheduler-url" not in args and "--scheduler-host" not in args and "--local-scheduler" not in args:
        args.append("--local-scheduler")
    run_with_retcodes(args)


if __name__ == "__main__":
    main()
