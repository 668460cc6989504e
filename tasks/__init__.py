"""Luigi tasks of tqa: ``luigi --module tasks AuditCorpus --corpus DIR --out DIR --local-scheduler``."""

from .audit import (
    AuditCorpus,
    AuditShard,
    BackTranslate,
    CometCorpus,
    ExtractShard,
    IdentifyLanguageShard,
    PairArticles,
    ReportCorpus,
    ReportShard,
    StructureCorpus,
)

__all__ = ["AuditCorpus", "AuditShard", "BackTranslate", "CometCorpus", "ExtractShard", "IdentifyLanguageShard",
           "PairArticles", "ReportCorpus", "ReportShard", "StructureCorpus"]
