"""The schemas of the tables the stages pass on and the report's tables (``docs/output.md``), and
fast builders for them."""

from __future__ import annotations

from itertools import chain

import numpy as np
import polars as pl

SPAN_TYPE = pl.List(pl.Struct({"start": pl.Int64, "end": pl.Int64, "lang": pl.String}))
HIGHLIGHT_TYPE = pl.List(pl.Struct({"start": pl.Int64, "end": pl.Int64, "flag": pl.String, "side": pl.String}))

EXTRACT_SCHEMA = {"doc_path": pl.String, "block_idx": pl.Int64, "kind": pl.String, "new_section": pl.Boolean,
                  "chrome": pl.Boolean, "sent_idx": pl.Int64, "text": pl.String}
LANG_SCHEMA = {**EXTRACT_SCHEMA, "lang": pl.String, "lang_confidence": pl.Float64, "spans": SPAN_TYPE}
STRUCTURE_SCHEMA = {"doc_path": pl.String, "block_idx": pl.Int64, "sent_idx": pl.Int64, "article_id": pl.String,
                    "seg_id": pl.Int64, "block": pl.String, "boilerplate_reason": pl.String}
ARTICLE_SCHEMA = {"article_id": pl.String, "doc_path": pl.String, "position": pl.Int64, "lang": pl.String,
                  "lang_reason": pl.String, "role": pl.String, "original_article_id": pl.String,
                  "original_path": pl.String, "pair_score": pl.Float64, "pair_method": pl.String,
                  "pair_reason": pl.String}

#: Rows of segments.parquet as scoring leaves them: evidence, no decisions yet.
SCORED_SCHEMA = {
    "article_id": pl.String, "doc_path": pl.String, "original_path": pl.String, "original_article_id": pl.String,
    "role": pl.String, "seg_id": pl.Int64, "block": pl.String, "text": pl.String, "lang": pl.String,
    "lang_confidence": pl.Float64, "spans": SPAN_TYPE, "align_group": pl.Int64, "alignment": pl.String,
    "original_seg_ids": pl.List(pl.Int64), "original_text": pl.String, "align_score": pl.Float64,
    "backtranslation": pl.String, "bleu": pl.Float64, "chrf": pl.Float64, "ter": pl.Float64, "comet": pl.Float64,
    "fingerprint": pl.String, "evidence": pl.String}
WAIVED_TYPE = pl.List(pl.Struct({"flag": pl.String, "scope": pl.String, "reason": pl.String, "expires": pl.String,
                                 "line": pl.Int64}))
SEGMENTS_SCHEMA = {**SCORED_SCHEMA, "flags": pl.List(pl.String), "reasons": pl.List(pl.String),
                   "detectors": pl.List(pl.String), "highlights": HIGHLIGHT_TYPE, "waived": WAIVED_TYPE}

SCORED_ARTICLES_SCHEMA = {
    "article_id": pl.String, "doc_path": pl.String, "original_path": pl.String, "original_article_id": pl.String,
    "role": pl.String, "title": pl.String, "lang": pl.String, "n_segments": pl.Int64, "n_body": pl.Int64,
    "bleu": pl.Float64, "chrf": pl.Float64, "ter": pl.Float64, "comet": pl.Float64, "pair_method": pl.String,
    "pair_score": pl.Float64, "pair_reason": pl.String}


def articles_schema(flags: tuple[str, ...]) -> dict[str, pl.DataType]:
    """Rows of articles.parquet: the scored articles with their flag counts and verdicts."""
    counts = pl.Struct({f: pl.Int64 for f in flags})
    return {**SCORED_ARTICLES_SCHEMA, "flag_counts": counts, "waived_counts": counts,
            "verdict": pl.String, "reasons": pl.List(pl.String)}


def rows_frame(rows: list[dict], schema: dict[str, pl.DataType]) -> pl.DataFrame:
    """``pl.from_dicts(rows, schema=schema)``, with the list columns built from their flattened
    values: polars converts a nested Python value one row at a time, several times slower."""
    flat = {k: t for k, t in schema.items() if not isinstance(t, pl.List)}
    frame = pl.from_dicts(rows, schema=flat) if rows else pl.DataFrame(schema=flat)
    return frame.with_columns(list_column(k, [r[k] or () for r in rows], t)
                              for k, t in schema.items() if isinstance(t, pl.List)).select(list(schema))


def list_column(name: str, values: list, dtype: pl.List) -> pl.Series:
    """A list column from Python sequences, built from their flattened items."""
    lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    items = list(chain.from_iterable(values))
    inner = dtype.inner
    flat = (pl.from_dicts(items, schema=dict(inner.to_schema())).to_struct(name) if isinstance(inner, pl.Struct)
            else pl.Series(name, items, dtype=inner))
    grouped = pl.DataFrame([pl.Series("_row", np.repeat(np.arange(len(values)), lengths)), flat]).group_by(
        "_row").agg(pl.col(name))
    return (pl.DataFrame({"_row": np.arange(len(values))}).join(grouped, on="_row", how="left").sort("_row")[name]
            .fill_null(pl.lit([], dtype=dtype)).cast(dtype))


def frame_dicts(frame: pl.DataFrame) -> list[dict]:
    """``frame.to_dicts()``, faster: polars converts a list-of-struct value one row at a time even
    when it is empty, as most spans, highlights and waivers are; here only the non-empty ones are
    converted, column by column."""
    columns = []
    for name, dtype in frame.schema.items():
        series = frame[name]
        if isinstance(dtype, pl.List) and isinstance(dtype.inner, pl.Struct):
            lengths = series.list.len().to_list()
            full = [i for i, n in enumerate(lengths) if n]
            values: list = [None if n is None else [] for n in lengths]
            for i, value in zip(full, series.gather(full).to_list() if full else [], strict=True):
                values[i] = value
            columns.append(values)
        else:
            columns.append(series.to_list())
    names = frame.columns
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]
