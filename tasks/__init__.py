"""Luigi tasks of tqa: ``luigi --module tasks AuditCorpus --corpus DIR --out DIR --local-scheduler``."""

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
