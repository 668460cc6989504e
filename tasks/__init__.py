"""Luigi tasks of tqa: ``luigi --module tasks AuditCorpus --corpus DIR --out DIR --local-scheduler``
(or ``python -m tasks AuditCorpus --corpus DIR --out DIR``: the same, quieter)."""

import warnings

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
