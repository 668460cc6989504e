"""Fluency evidence from a causal language model: the optional backend of :mod:`pipeline.fluency`.

The default backend measures a thesaurus substitution with CMU's trigram model. This one asks a
causal language model instead — a local Hugging Face ``transformers`` folder (``config.json`` of a
causal-LM architecture, its weights and its tokenizer), named by ``[models] fluency_model`` — and
gives the same evidence (:class:`~pipeline.fluency.FluencyEvidence`, with the same
``log10_ratio`` meaning), so the detector and the judge do not know which backend ran:

* **Candidates** are exactly the n-gram backend's: the same thesaurus and paraphrases, the same
  opaque words (names, code, numbers: never replaced), the same penalties (frequency prior, kind,
  length; :meth:`FluencyScorer._alternatives <pipeline.fluency.FluencyScorer>`).
* **Evidence** for replacing words ``i..j`` by an alternative is log10 P(sentence with the
  alternative) − log10 P(sentence as written) under the model. Token log-probabilities are summed
  per word (a word owns the space before it and the punctuation after it); as in the n-gram backend
  the replaced words' change and each following word's change are capped at ``token_cap``,
  following names, numbers and code add nothing, and the penalties are taken off. Unlike a
  trigram, the model's context is the whole sentence, so every following word counts, not two.
  The phrase shown is the n-gram backend's (the replaced words and the two after them).
* **Batching**: the sentence as written and every candidate of a group of sentences go through the
  model together, sorted by length, in batches bounded by a token budget (the logits are batch ×
  length × vocabulary floats). The model runs on ``cpu`` unless ``[models] device`` says ``cuda``
  (or ``auto`` finds a GPU).
* **Caching**: per sentence in the scorer and, when ``FluencyConfig.lm_cache`` names tqa's model
  cache (``[models] cache``), there too (kind ``fluency_lm``), keyed by the model's checksum, the
  scoring settings, the thesaurus, this code and the text: a re-run scores only new sentences.

:func:`preflight` checks a folder before any work, in a subprocess (the scheduler process never
imports torch): missing files, a tokenizer or model that does not load, a probe sentence that does
not score. ``python -m pipeline.fluency_lm check FOLDER`` is that check.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import math
import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from .fluency import FluencyEvidence, FluencyScorer, FluencyUnavailable, SuspectPhrase, _chunks

if TYPE_CHECKING:
    from .cache import ModelCache

#: bumped when the evidence computed from the same model and text changes
LM_VERSION = 1
#: floats of logits one batch may hold (256 MiB as float32): batch × length × vocabulary
LOGIT_BUDGET = 1 << 26
MAX_BATCH = 64  # sequences per model call at most
GROUP = 32  # sentences planned and scored together (their candidates batched across them)
CACHE_KIND = "fluency_lm"
CHECKS_DIR = ".lm-checks"  # under [models] dir: the successful pre-flight checks (preflight's record_dir)
PROBE = "The command prints the number of lines in each file."
WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.safetensors.index.json",
                "pytorch_model.bin.index.json")
TOKENIZER_FILES = ("tokenizer.json", "vocab.json", "tokenizer.model", "spiece.model", "sentencepiece.bpe.model")
_LN10 = math.log(10.0)
_ROOT = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------------------
# The model folder: checks without loading, identity
# ---------------------------------------------------------------------------


def folder_problem(folder: Path) -> str | None:
    """What is wrong with ``folder`` as a causal-LM folder, judged from its files (None: nothing seen)."""
    if not folder.exists():
        return f"{folder}: no such folder"
    if not folder.is_dir():
        return f"{folder}: not a folder (name the folder that holds config.json, the weights and the tokenizer)"
    cfg_path = folder / "config.json"
    if not cfg_path.is_file():
        return f"{folder}: no config.json (a transformers model folder holds config.json, the weights and the tokenizer)"
    try:
        config = json.loads(cfg_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"{cfg_path}: unreadable ({exc})"
    if not isinstance(config, dict) or not config.get("model_type"):
        return f"{cfg_path}: no model_type"
    if not any((folder / f).is_file() for f in WEIGHT_FILES):
        return f"{folder}: no weights ({' or '.join(WEIGHT_FILES[:2])})"
    if not any((folder / f).is_file() for f in TOKENIZER_FILES):
        return f"{folder}: no tokenizer ({', '.join(TOKENIZER_FILES)})"
    return None


def is_lm_folder(folder: Path) -> bool:
    """Whether ``folder`` looks like a transformers model folder (config.json with a model_type, weights,
    a tokenizer); whether it is a *causal* LM that loads is :func:`preflight`'s question."""
    return folder_problem(folder) is None


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and not any(
        part.startswith(".") for part in p.relative_to(folder).parts))


def _identity(folder: Path) -> tuple:
    return tuple((str(p.relative_to(folder)), p.stat().st_size, p.stat().st_mtime_ns) for p in _files(folder))


_CHECKSUMS: dict[tuple, str] = {}


def model_checksum(folder: Path) -> str:
    """blake2b of every file of the folder (names and contents: weights, configuration, tokenizer),
    remembered per process while no file changes size or time."""
    folder = Path(folder).resolve()
    key = (str(folder), _identity(folder))
    got = _CHECKSUMS.get(key)
    if got is None:
        h = hashlib.blake2b(digest_size=16)
        for p in _files(folder):
            h.update(str(p.relative_to(folder)).encode())
            h.update(b"\0")
            with open(p, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
            h.update(b"\0")
        got = _CHECKSUMS[key] = h.hexdigest()
    return got


def library_versions() -> str:
    """Versions of the libraries that compute the evidence (part of the scoring digest)."""
    from .provenance import distribution_versions

    return distribution_versions(("torch", "transformers", "tokenizers"))


@dataclass(frozen=True)
class LMInfo:
    """What a loaded model folder is: its checksum, architecture, size and where it ran."""

    path: str
    checksum: str
    model_type: str
    architecture: str
    parameters: int
    vocab_size: int
    max_length: int
    device: str

    def describe(self) -> str:
        """``gpt2 (GPT2LMHeadModel, 124,439,808 parameters, vocabulary 50,257, 1,024 tokens) on cpu``"""
        return (f"{self.model_type} ({self.architecture}, {self.parameters:,} parameters, vocabulary "
                f"{self.vocab_size:,}, {self.max_length:,} tokens) on {self.device}")


def resolve_device(device: str) -> str:
    """``cpu`` or ``cuda``: ``auto`` is ``cuda`` when torch sees a GPU. Raises FluencyUnavailable for
    ``cuda`` without one."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise FluencyUnavailable("device cuda: torch sees no GPU here ([models] device = cpu or auto)")
    if device not in ("cpu", "cuda"):
        raise FluencyUnavailable(f"device {device!r}: cpu, cuda or auto")
    return device


# ---------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------


class CausalLM:
    """A local causal language model and its (fast) tokenizer, loaded once.

    :meth:`token_logprobs` gives log10 P(token | the tokens before it), the first token after the
    model's beginning-of-sequence token (its end-of-sequence token when it has none; with neither, the
    first token is not scored). Raises :class:`~pipeline.fluency.FluencyUnavailable` naming the folder
    and the problem when the libraries are missing or the folder does not load."""

    def __init__(self, folder: str | Path, device: str = "cpu", threads: int = 0) -> None:
        self.path = Path(folder).expanduser().resolve()
        problem = folder_problem(self.path)
        if problem:
            raise FluencyUnavailable(problem)
        try:
            import torch
            import transformers
            from transformers import AutoModelForCausalLM, AutoTokenizer
        except ImportError as exc:
            raise FluencyUnavailable(f"a fluency model needs torch and transformers ({exc.name} is missing) — "
                                     f"run `make models`") from exc
        transformers.logging.set_verbosity_error()
        if threads > 0:
            torch.set_num_threads(threads)
        self.device = resolve_device(device)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(self.path), local_files_only=True, use_fast=True)
        except Exception as exc:  # transformers raises anything; the message names the folder
            raise FluencyUnavailable(f"{self.path}: the tokenizer does not load ({_first_line(exc)})") from exc
        if not getattr(self.tokenizer, "is_fast", False):
            raise FluencyUnavailable(f"{self.path}: needs a fast tokenizer (tokenizer.json), for word offsets")
        try:
            model = AutoModelForCausalLM.from_pretrained(str(self.path), local_files_only=True)
        except Exception as exc:  # as above
            raise FluencyUnavailable(f"{self.path}: not a causal language model that loads ({_first_line(exc)})") \
                from exc
        self.model = model.to(self.device).eval()
        config = model.config
        tok = self.tokenizer
        self.bos = tok.bos_token_id if tok.bos_token_id is not None else tok.eos_token_id
        self.pad = tok.pad_token_id if tok.pad_token_id is not None else (tok.eos_token_id or 0)
        positions = [getattr(config, k, None) for k in ("n_positions", "max_position_embeddings", "n_ctx")]
        limits = [p for p in positions if isinstance(p, int) and p > 0]
        if isinstance(tok.model_max_length, int) and 0 < tok.model_max_length < 10**7:
            limits.append(tok.model_max_length)
        self.max_length = min(limits) if limits else 1024
        out = model.get_output_embeddings()
        self.vocab_size = int(out.weight.shape[0]) if out is not None else int(config.vocab_size)
        self.model_calls = 0
        self._torch = torch

    @cached_property
    def checksum(self) -> str:
        return model_checksum(self.path)

    @property
    def model_id(self) -> str:
        return f"lm:{self.path.name}:{self.checksum[:16]}"

    def info(self) -> LMInfo:
        arch = (getattr(self.model.config, "architectures", None) or [type(self.model).__name__])[0]
        return LMInfo(str(self.path), self.checksum, str(self.model.config.model_type), arch,
                      sum(p.numel() for p in self.model.parameters()), self.vocab_size, self.max_length, self.device)

    def encode(self, texts: Sequence[str]) -> list[tuple[list[int], list[int]]]:
        """Token ids of each text and, per token, the character index it belongs to (its last character)."""
        if not texts:
            return []
        enc = self.tokenizer(list(texts), add_special_tokens=False, return_offsets_mapping=True)
        out = []
        for ids, offsets in zip(enc["input_ids"], enc["offset_mapping"], strict=True):
            out.append((list(ids), [e - 1 if e > s else s for s, e in offsets]))
        return out

    def token_logprobs(self, sequences: Sequence[Sequence[int]]) -> list[list[float]]:
        """log10 probability of every token of every sequence, given the tokens before it; sequences run
        in length-sorted batches of at most :data:`MAX_BATCH` and :data:`LOGIT_BUDGET` logits."""
        torch = self._torch
        prefix = [self.bos] if self.bos is not None else []
        order = sorted(range(len(sequences)), key=lambda k: len(sequences[k]))
        out: list[list[float]] = [[] for _ in sequences]
        budget = max(1, LOGIT_BUDGET // max(1, self.vocab_size))
        k = 0
        while k < len(order):
            end = k + 1
            while end < len(order) and end - k < MAX_BATCH \
                    and (end - k + 1) * (len(prefix) + len(sequences[order[end]])) <= budget:
                end += 1
            batch = [prefix + list(sequences[i]) for i in order[k:end]]
            width = len(batch[-1])
            ids = torch.full((len(batch), width), self.pad, dtype=torch.long)
            mask = torch.zeros((len(batch), width), dtype=torch.long)
            for r, seq in enumerate(batch):
                ids[r, :len(seq)] = torch.tensor(seq, dtype=torch.long)
                mask[r, :len(seq)] = 1
            with torch.inference_mode():
                logits = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device)).logits
                logits = logits[:, :-1].float()
                target = ids[:, 1:].to(self.device)
                lp = (logits.gather(-1, target.unsqueeze(-1)).squeeze(-1) - logits.logsumexp(-1)) / _LN10
            self.model_calls += 1
            lp = lp.cpu().tolist()
            for r, i in enumerate(order[k:end]):
                n = len(sequences[i])
                row = lp[r][:len(batch[r]) - 1]
                out[i] = row if prefix else [0.0, *row][:n]
            k = end
        return out


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__)[:300]


_MODELS: dict[tuple, CausalLM] = {}


def load_causal_lm(folder: str | Path, device: str = "cpu", threads: int = 0) -> CausalLM:
    """The process's one :class:`CausalLM` for a folder and device (loaded on first use)."""
    key = (str(Path(folder).expanduser().resolve()), device, threads)
    lm = _MODELS.get(key)
    if lm is None:
        lm = _MODELS[key] = CausalLM(folder, device, threads)
    return lm


# ---------------------------------------------------------------------------
# Pre-flight
# ---------------------------------------------------------------------------

_PREFLIGHT: dict[tuple, LMInfo] = {}


def preflight(folder: str | Path, device: str = "cpu", timeout: float = 900.0,
              record_dir: Path | None = None) -> LMInfo:
    """Check that ``folder`` holds a causal LM that loads and scores a sentence on ``device``, in a
    fresh process (``python -m pipeline.fluency_lm check``), so that the caller never imports torch.

    Remembered per process, and with ``record_dir`` across processes (one small JSON file per
    success), while the folder's files (names, sizes, times), the device, Python and the libraries
    stay the same. Raises FluencyUnavailable with one line naming the folder and the problem."""
    path = Path(folder).expanduser().resolve()
    problem = folder_problem(path)
    if problem:
        raise FluencyUnavailable(problem)
    key = (str(path), device, _identity(path), library_versions(), sys.version)
    got = _PREFLIGHT.get(key)
    if got is not None:
        return got
    record = None
    if record_dir is not None:
        record = Path(record_dir) / f"{hashlib.blake2b(repr(key).encode(), digest_size=12).hexdigest()}.json"
        try:
            got = LMInfo(**json.loads(record.read_text(encoding="utf-8")))
        except (OSError, TypeError, ValueError):
            got = None
        if got is not None and got.path == str(path):
            _PREFLIGHT[key] = got
            return got
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "PYTHONPATH": os.pathsep.join(p for p in (str(_ROOT), os.environ.get("PYTHONPATH", "")) if p)}
    try:
        proc = subprocess.run([sys.executable, "-m", "pipeline.fluency_lm", "check", str(path), "--device", device],
                              capture_output=True, text=True, timeout=timeout, env=env, check=False)
    except subprocess.TimeoutExpired:
        raise FluencyUnavailable(f"{path}: loading took over {timeout:.0f} s") from None
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        raise FluencyUnavailable(lines[-1].removeprefix("error: ") if lines else
                                 f"{path}: the check exited with status {proc.returncode}")
    try:
        info = LMInfo(**json.loads(proc.stdout.strip().splitlines()[-1]))
    except (IndexError, TypeError, json.JSONDecodeError):
        raise FluencyUnavailable(f"{path}: the check printed no result ({proc.stdout[-200:]!r})") from None
    _PREFLIGHT[key] = info
    if record is not None:
        try:
            record.parent.mkdir(parents=True, exist_ok=True)
            tmp = record.with_name(f".{record.name}.{os.getpid()}")
            tmp.write_text(json.dumps(asdict(info)), encoding="utf-8")
            os.replace(tmp, record)
        except OSError:
            pass  # a read-only models folder costs a check per process, nothing else
    return info


def check(folder: str | Path, device: str = "cpu") -> LMInfo:
    """Load the model here and score :data:`PROBE` with it (what :func:`preflight` runs in its subprocess)."""
    lm = load_causal_lm(folder, device)
    ids, _ = lm.encode([PROBE])[0]
    if not ids:
        raise FluencyUnavailable(f"{lm.path}: the tokenizer gives no tokens for {PROBE!r}")
    if len(ids) + 1 > lm.max_length:
        raise FluencyUnavailable(f"{lm.path}: a context of {lm.max_length} tokens is too short for a sentence")
    (scores,) = lm.token_logprobs([ids])
    if len(scores) != len(ids) or not all(math.isfinite(v) and v <= 1e-6 for v in scores):
        raise FluencyUnavailable(f"{lm.path}: the model gives no probabilities for {PROBE!r} (got {scores[:5]})")
    return lm.info()


def install_causal_lm(folder: Path, lm_dir: Path) -> Path:
    """Copy a model folder into ``lm_dir`` (``[models] dir``/lm) under its own name and check the copy
    (:func:`preflight` on the CPU, recorded beside ``lm_dir``); returns where it is. A copy that does not
    load is removed again (an earlier model of that name is kept) and FluencyUnavailable raised."""
    import shutil

    folder = Path(folder).resolve()
    problem = folder_problem(folder)
    if problem:
        raise FluencyUnavailable(problem)
    dest = lm_dir / folder.name
    lm_dir.mkdir(parents=True, exist_ok=True)
    staging = lm_dir / f".{folder.name}.installing"
    old = lm_dir / f".{folder.name}.old"
    for leftover in (staging, old):
        if leftover.exists():
            shutil.rmtree(leftover)
    shutil.copytree(folder, staging, ignore=shutil.ignore_patterns(".*"))
    if dest.exists():
        dest.rename(old)
    staging.rename(dest)
    try:
        preflight(dest, "cpu", record_dir=lm_dir.parent / CHECKS_DIR)
    except FluencyUnavailable as exc:
        shutil.rmtree(dest)
        if old.exists():
            old.rename(dest)
        raise FluencyUnavailable(str(exc).replace(str(dest), str(folder))) from None
    if old.exists():
        shutil.rmtree(old)
    return dest


# ---------------------------------------------------------------------------
# Scoring
# ---------------------------------------------------------------------------


@dataclass
class _Window:
    """Words ``gi..gj`` (global word indices) of one chunk, replaceable; what ``_phrase`` needs to show it."""

    chunk: int
    i: int
    j: int
    tail: int
    gi: int
    gj: int
    best: tuple[float, str] | None = None


@dataclass
class _Candidate:
    window: int
    alt: str
    penalty: float
    text: str
    delta: int


@dataclass
class _Plan:
    text: str
    chunks: list
    bounds: list[int]  # character where each word's piece starts (word 0: 0)
    counted: list[bool]  # per word: its change counts (not a number, name or code)
    n_words: int
    windows: list[_Window]
    candidates: list[_Candidate]


class LMFluencyScorer:
    """Fluency evidence of sentences under a causal LM; ``score(sentences)`` as :class:`FluencyScorer`'s.

    ``base`` is the :class:`~pipeline.fluency.FluencyScorer` whose config names the model
    (``lm_model``, ``lm_device``, ``lm_threads``, ``lm_cache``) and whose thesaurus, penalties and
    opaque-word rules give the candidates. Scoring a sentence alone or in a batch gives the same
    phrases; ratios may differ in the last digit (float arithmetic of different batch shapes)."""

    def __init__(self, base: FluencyScorer, lm: CausalLM | None = None) -> None:
        cfg = base.cfg
        if lm is None and not cfg.lm_model:
            raise FluencyUnavailable("LMFluencyScorer: no model ([models] fluency_model)")
        self.base = base
        self.lm = lm or load_causal_lm(cfg.lm_model, cfg.lm_device, cfg.lm_threads)  # type: ignore[arg-type]
        self._memo: dict[str, FluencyEvidence] = {}
        self._cache: ModelCache | None = None
        if cfg.lm_cache:
            from .cache import ModelCache

            self._cache = ModelCache(Path(cfg.lm_cache).expanduser())

    @cached_property
    def cache_id(self) -> str:
        """Everything the evidence of a text depends on besides the text (the persistent cache's key)."""
        cfg = self.base.cfg
        code = hashlib.blake2b(digest_size=8)
        for name in ("fluency.py", "fluency_lm.py"):
            code.update((Path(__file__).parent / name).read_bytes())
        scoring = (cfg.min_log10_ratio, cfg.max_candidates, cfg.prior_weight, cfg.relations, cfg.token_cap,
                   cfg.related_penalty, cfg.paraphrase_penalty, cfg.length_penalty)
        return (f"{self.lm.model_id}|v{LM_VERSION}|{self.lm.device}|{self.base.resources.signature()}|"
                f"{scoring}|{code.hexdigest()}|{library_versions()}")

    @property
    def model_calls(self) -> int:
        return self.lm.model_calls

    def score(self, sentences: Sequence[str]) -> list[FluencyEvidence]:
        """Evidence for every sentence of ``sentences`` (same length, same order)."""
        memo = self._memo
        got = {t: memo[t] for t in dict.fromkeys(sentences) if t in memo}
        fresh: dict[str, FluencyEvidence] = {}
        todo = [t for t in dict.fromkeys(sentences) if t not in got]
        if todo and self._cache is not None:
            from .cache import cache_key

            keys = {t: cache_key(self.cache_id, t) for t in todo}
            found = self._cache.get_many(CACHE_KIND, list(keys.values()))
            for t in todo:
                if keys[t] in found:
                    fresh[t] = _from_json(t, found[keys[t]], self.base.lang)
            todo = [t for t in todo if t not in fresh]
        for k in range(0, len(todo), GROUP):
            group = todo[k:k + GROUP]
            evidence = self._score_group(group)
            if len(evidence) != len(group):
                raise AssertionError("fluency_lm: one evidence per sentence")
            fresh.update(zip(group, evidence, strict=True))
            if self._cache is not None:
                from .cache import cache_key

                self._cache.put_many(CACHE_KIND, ((cache_key(self.cache_id, t), _to_json(e))
                                                  for t, e in zip(group, evidence, strict=True)))
        if len(memo) + len(fresh) > self.base.cache_size:
            memo.clear()  # a bounded memory, as the n-gram backend's
        memo.update(fresh)
        got.update(fresh)
        out = [got[t] for t in sentences]
        if len(out) != len(sentences):
            raise AssertionError("fluency_lm: one evidence per sentence")
        return out

    # -- planning: the n-gram backend's candidates, as texts -------------------------------------

    def _plan(self, text: str) -> _Plan:
        res = self.base.resources
        chunks = _chunks(text)
        spans: list[tuple[int, int]] = [sp for _, _, chunk_spans in chunks for sp in chunk_spans]
        counted = [w is not None and not op for words, opaque, _ in chunks for w, op in zip(words, opaque, strict=True)]
        bounds = []
        for g, (s, _) in enumerate(spans):
            p = s
            if g == 0:
                p = 0
            else:
                while p > spans[g - 1][1] and text[p - 1].isspace():
                    p -= 1
            bounds.append(p)
        plan = _Plan(text, chunks, bounds, counted, sum(counted), [], [])
        cap, floor = self.base.cfg.token_cap, self.base.cfg.min_log10_ratio
        g0 = 0
        for ci, (words, opaque, chunk_spans) in enumerate(chunks):
            n = len(words)
            for i, w in enumerate(words):
                if w is None:
                    continue
                first_span = 1
                if opaque[i]:
                    if opaque[i] == 2 or i + 1 >= n or opaque[i + 1] or words[i + 1] is None \
                            or f"{w} {words[i + 1]}" not in res.pads:
                        continue
                    first_span = 2
                for span in range(first_span, min(res.phrase_len.get(w, 1), n - i) + 1):
                    j = i + span
                    if span > 1 and (None in words[i:j] or any(opaque[i + 1:j])):
                        break
                    key = w if span == 1 else " ".join(words[i:j])  # type: ignore[arg-type]
                    alts = self.base._alternatives(key, res)
                    if not alts:
                        continue
                    gi, gj = g0 + i, g0 + j
                    room = cap * (1 + sum(counted[gj:]))  # the most the window can gain
                    window = len(plan.windows)
                    added = False
                    start, end = chunk_spans[i][0], chunk_spans[j - 1][1]
                    upper = text[start].isupper()
                    for alt_words, penalty in alts:
                        if room - penalty < floor:
                            break  # cheapest first: no later one can reach the floor either
                        alt = " ".join(alt_words)
                        shown = alt[:1].upper() + alt[1:] if upper else alt
                        variant = text[:start] + shown + text[end:]
                        plan.candidates.append(_Candidate(window, alt, penalty, variant,
                                                          len(shown) - (end - start)))
                        added = True
                    if added:
                        plan.windows.append(_Window(ci, i, j, min(n, j + 2), gi, gj))
            g0 += n
        return plan

    # -- scoring --------------------------------------------------------------------------------

    def _score_group(self, texts: Sequence[str]) -> list[FluencyEvidence]:
        plans = [self._plan(t) for t in texts]
        seq_texts: list[str] = []
        owners: list[tuple[int, int]] = []  # (plan, candidate index or -1 for the text as written)
        for pi, plan in enumerate(plans):
            if not plan.candidates:
                continue
            seq_texts.append(plan.text)
            owners.append((pi, -1))
            for ki, cand in enumerate(plan.candidates):
                seq_texts.append(cand.text)
                owners.append((pi, ki))
        encoded = self.lm.encode(seq_texts)
        limit = self.lm.max_length - (1 if self.lm.bos is not None else 0)
        too_long = {pi for (pi, ki), (ids, _) in zip(owners, encoded, strict=True) if ki == -1 and len(ids) > limit}
        keep = [k for k, ((pi, _), (ids, _)) in enumerate(zip(owners, encoded, strict=True))
                if pi not in too_long and 0 < len(ids) <= limit]
        scores = self.lm.token_logprobs([encoded[k][0] for k in keep])
        if len(scores) != len(keep):
            raise AssertionError("fluency_lm: one score list per sequence")
        per_piece: dict[tuple[int, int], list[float]] = {}
        for k, lp in zip(keep, scores, strict=True):
            pi, ki = owners[k]
            plan = plans[pi]
            positions = encoded[k][1]
            if ki == -1:
                per_piece[(pi, -1)] = _sum_by_piece(lp, positions, plan.bounds, None)
            else:
                cand = plan.candidates[ki]
                w = plan.windows[cand.window]
                per_piece[(pi, ki)] = _sum_by_piece(lp, positions, plan.bounds, (w.gi, w.gj, cand.delta))
        out = []
        for pi, plan in enumerate(plans):
            base = per_piece.get((pi, -1))
            if base is None:
                out.append(FluencyEvidence(plan.text, 0.0, (), plan.n_words, self.base.lang))
                continue
            out.append(self._evidence(pi, plan, base, per_piece))
        return out

    def _evidence(self, pi: int, plan: _Plan, base: list[float], per_piece: dict) -> FluencyEvidence:
        cfg = self.base.cfg
        cap, floor = cfg.token_cap, cfg.min_log10_ratio
        for ki, cand in enumerate(plan.candidates):
            got = per_piece.get((pi, ki))
            if got is None:
                continue
            w = plan.windows[cand.window]
            own = got[w.gi] - sum(base[w.gi:w.gj])
            gain = min(own, cap) - cand.penalty
            for g in range(w.gj, len(base)):
                if plan.counted[g]:
                    d = got[g] - base[g]
                    gain += min(d, cap)
            if gain >= floor and (w.best is None or gain > w.best[0]):
                w.best = (gain, cand.alt)
        found: list[SuspectPhrase] = []
        for w in plan.windows:
            if w.best is not None:
                _, _, spans = plan.chunks[w.chunk]
                found.append(FluencyScorer._phrase(plan.text, spans, w.i, w.j, w.tail, w.best[1], w.best[0]))
        if not found:
            return FluencyEvidence(plan.text, 0.0, (), plan.n_words, self.base.lang)
        found.sort(key=lambda p: -p.log10_ratio)
        kept: list[SuspectPhrase] = []
        for p in found:
            if all(p.end <= q.start or p.start >= q.end for q in kept):
                kept.append(p)
        return FluencyEvidence(plan.text, round(kept[0].log10_ratio, 3), tuple(kept), plan.n_words, self.base.lang)


def _sum_by_piece(lp: list[float], positions: list[int], bounds: list[int],
                  change: tuple[int, int, int] | None) -> list[float]:
    """Token log-probabilities summed per word piece. With ``change = (gi, gj, delta)`` the text is a
    candidate whose words ``gi..gj`` were replaced (``delta`` characters longer): its replacement is
    summed into piece ``gi`` (``gi+1..gj-1`` stay 0) and the pieces after it are found ``delta`` later."""
    sums = [0.0] * len(bounds)
    if change is None:
        for v, pos in zip(lp, positions, strict=True):
            sums[max(0, bisect.bisect_right(bounds, pos) - 1)] += v
        return sums
    gi, gj, delta = change
    mid_end = (bounds[gj] if gj < len(bounds) else 1 << 60) + delta
    start = bounds[gi]
    for v, pos in zip(lp, positions, strict=True):
        if pos < start:
            sums[max(0, bisect.bisect_right(bounds, pos) - 1)] += v
        elif pos < mid_end:
            sums[gi] += v
        else:
            sums[bisect.bisect_right(bounds, pos - delta) - 1] += v
    return sums


def _to_json(e: FluencyEvidence) -> str:
    return json.dumps({"s": e.score, "w": e.n_words, "p": [[p.start, p.end, p.phrase, p.usual, p.replaced,
                                                            p.replacement, p.log10_ratio] for p in e.phrases]},
                      ensure_ascii=False)


def _from_json(text: str, value: str, lang: str) -> FluencyEvidence:
    d = json.loads(value)
    return FluencyEvidence(text, d["s"], tuple(SuspectPhrase(*p) for p in d["p"]), d["w"], lang)


def main(argv: list[str] | None = None) -> int:
    """``python -m pipeline.fluency_lm check FOLDER [--device D]``: load, score a probe, print the model's
    description as JSON (exit 0), or one line on stderr (exit 1)."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m pipeline.fluency_lm", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    chk = sub.add_parser("check", help="load a causal LM folder and score a probe sentence")
    chk.add_argument("folder", type=Path)
    chk.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"))
    args = ap.parse_args(argv)
    try:
        info = check(args.folder, args.device)
    except FluencyUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(asdict(info)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
