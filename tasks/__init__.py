"""Luigi tasks of tqa: ``luigi --module tasks AuditCorpus --corpus DIR --out DIR --local-scheduler``
(or ``python -m tasks AuditCorpus --corpus DIR --out DIR``: the same, quieter)."""

import gc
import warnings

# An audit holds the corpus's rows as Python objects (frames turned into rows, evidence, pages) and
# makes next to no reference cycles: with the collector's default thresholds (700, 10, 10) it would
# walk those objects thousands of times a run (on a 300-pair audit in one process: about 2,550
# collections, 5–7% of its time; 21 with these thresholds). Every process that runs
# tqa's tasks imports this package (the command line, `luigi --module tasks`, the process pool's
# processes), so the thresholds are raised here, once, for all of them.
gc.set_threshold(50_000, 20, 100)

# A LUIGI_CONFIG_PATH that names no file is reported by tqa as a configuration error (tasks.config);
# Luigi's own warning about it, at import, would only repeat it as a traceback-like line.
warnings.filterwarnings("ignore", message="Config file does not exist", category=UserWarning)

from .audit import (
    AuditCorpus,
    BackTranslate,
    CometCorpus,
    ExtractShard,
    IdentifyLanguageShard,
    JudgeCorpus,
    PairArticles,
    ReportCorpus,
    ReportShard,
    ScoreShard,
    StructureCorpus,
    SurveyLanguages,
)

__all__ = ["AuditCorpus", "BackTranslate", "CometCorpus", "ExtractShard", "IdentifyLanguageShard", "JudgeCorpus",
           "PairArticles", "ReportCorpus", "ReportShard", "ScoreShard", "StructureCorpus", "SurveyLanguages"]
