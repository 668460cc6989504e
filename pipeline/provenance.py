"""What produced a result: digests of each stage's code, and the versions of the libraries that shape it.

A work file's name carries the digest of the code of the stage that made it — the stage's modules
and every ``pipeline`` module they import, found by reading their source — so changing a detector
re-runs the scoring and the judge, and changing the report's templates re-renders the pages, while
the stages before them keep their work.
"""

from __future__ import annotations

import ast
import hashlib
import importlib.metadata as md
from functools import cache, lru_cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent

#: The modules each stage runs; their imports within ``pipeline`` are followed.
STAGE_MODULES: dict[str, tuple[str, ...]] = {
    "extract": ("extract", "segment", "langid"),
    "langid": ("langid",),
    "structure": ("structure",),
    "pair": ("pair",),
    "learn": ("learn", "garble", "lexicon"),
    "backtranslate": ("backtranslate", "models"),
    "score": ("audit",),
    "comet": ("comet_score", "models"),
    "judge": ("judge",),
    "report": ("report",),
    "summary": ("summary",),
}
#: Package data a stage reads (globs below the package).
STAGE_DATA: dict[str, tuple[str, ...]] = {"report": ("templates/*",)}

LIBRARIES = ("lingua-language-detector", "blingfire", "sacrebleu", "selectolax", "charset-normalizer",
             "markdown-it-py", "polars")


def _module_file(name: str) -> Path | None:
    """The source file of ``pipeline.<name>`` (a module or a package's ``__init__``)."""
    base = PACKAGE.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _imports(name: str, source: str) -> set[str]:
    """``pipeline`` modules imported anywhere in the source of ``pipeline.<name>``."""
    package = name.split(".")[:-1] if not (PACKAGE.joinpath(*name.split(".")) / "__init__.py").is_file() \
        else name.split(".")
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                target = ".".join([*base, node.module] if node.module else base)
            elif node.module and node.module.startswith("pipeline"):
                target = node.module.removeprefix("pipeline").lstrip(".")
            else:
                continue
            candidates = [target] + [f"{target}.{a.name}" if target else a.name for a in node.names]
            out |= {c for c in candidates if c and _module_file(c) is not None}
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.startswith("pipeline."):
                    out.add(a.name.removeprefix("pipeline."))
    return out


@cache
def closure(stage: str) -> tuple[str, ...]:
    """The ``pipeline`` modules a stage's code consists of, sorted."""
    todo, seen = list(STAGE_MODULES[stage]), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo += sorted(_module_imports(name) - seen)
    return tuple(sorted(seen))


@cache
def _module_imports(name: str) -> frozenset[str]:
    """:func:`_imports` of ``pipeline.<name>``'s source, parsed once per process (every stage's
    closure walks the same modules); empty when it has no source file."""
    path = _module_file(name)
    return frozenset(_imports(name, path.read_text(encoding="utf-8"))) if path is not None else frozenset()


@cache
def code_digest(stage: str) -> str:
    """Digest of the source of every module of a stage (and the package data it reads)."""
    h = hashlib.blake2b(digest_size=10)
    files = [p for name in closure(stage) if (p := _module_file(name)) is not None]
    for pattern in STAGE_DATA.get(stage, ()):
        files += sorted(PACKAGE.glob(pattern))
    for path in files:
        h.update(str(path.relative_to(PACKAGE)).encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def distribution_versions(dists: tuple[str, ...]) -> str:
    """``name:version|…`` of the installed distributions ``dists`` ("none" for one not installed)."""
    def version(dist: str) -> str:
        try:
            return md.version(dist)
        except md.PackageNotFoundError:
            return "none"

    return "|".join(f"{d}:{version(d)}" for d in dists)


@lru_cache(maxsize=1)
def library_versions() -> str:
    """Versions of the libraries whose behaviour shapes the results (part of every digest)."""
    return distribution_versions(LIBRARIES)
