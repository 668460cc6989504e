"""``tqa resources list | fetch`` — the model-free resources of the scoring stage (dictionaries,
WordNet): where they are and fetching them."""

from __future__ import annotations

import argparse
import sys

from pipeline.errors import ModelUnavailable
from pipeline.lexicon import FREEDICT_CODES
from pipeline.resources import fetch, fluency_problem, lexicon_signature

from . import config as cfg


def add_parser(sub: argparse._SubParsersAction) -> None:
    r = sub.add_parser("resources", help="list or fetch the dictionaries and WordNet that model-free checks use")
    rsub = r.add_subparsers(dest="resources_command", required=True)
    lst = rsub.add_parser("list", help="what is installed, and for which languages")
    lst.add_argument("--languages", help="comma-separated languages to report on (default: every one FreeDict has)")
    f = rsub.add_parser("fetch", help="download FreeDict dictionaries and WordNet (Debian packages, apt-get download)")
    f.add_argument("--languages", default="", help="comma-separated ISO 639-1 codes, e.g. sv,de,fr,ja")
    f.add_argument("--corpus", help="fetch for the languages this corpus's manifest names too")
    f.add_argument("--no-wordnet", action="store_true", help="dictionaries only")


def resources(args: argparse.Namespace) -> int:
    configs = cfg.all_configs()
    rcfg = configs["lexicons"]
    langs = [x.strip() for x in (args.languages or "").split(",") if x.strip()]
    if args.resources_command == "list":
        print(f"resources folder: {rcfg.root}")
        for lang in langs or sorted(FREEDICT_CODES):
            sig = lexicon_signature(lang, rcfg)
            print(f"  {lang}→en dictionary: {'none' if sig == 'none' else sig}")
        problem = fluency_problem(rcfg)
        print(f"  English fluency (WordNet + n-grams): {'ready' if problem is None else problem}")
        return 0
    if args.corpus:
        from .audit import snapshot

        langs += sorted(snapshot(args.corpus).manifest_languages - {configs["tqa"].source_lang})
    try:
        for line in fetch(sorted(set(langs)), rcfg, wordnet=not args.no_wordnet):
            print(f"fetched {line}")
    except ModelUnavailable as exc:
        print(f"tqa resources fetch: {exc}", file=sys.stderr)
        return 1
    return 0
