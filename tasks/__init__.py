"""Luigi tasks of tqa: ``luigi --module tasks AuditCorpus --corpus DIR --out DIR --local-scheduler``."""

from .audit import (
                    AuditCorpus,
                    AuditShard,
                    ExtractShard,
                    IdentifyLanguageShard,
                    PairArticles,
                    ReportShard,
                    StructureCorpus,
)

__all__ = ["AuditCorpus", "AuditShard", "ExtractShard", "IdentifyLanguageShard", "PairArticles", "ReportShard",
           "StructureCorpus"]
