"""Representative quotes: confident, and different from each other.

Candidates are the most confident comments of a stance in a date range; maximal marginal
relevance (Carbonell & Goldstein 1998) then picks them one at a time, trading confidence against
similarity to the quotes already picked, so a list is not five rewordings of one point.

``embed_texts`` is the one place texts become vectors. Today it is a hashed word/bigram
TF vectoriser in numpy (no model, no network); point it at the transformer encoder's sentence
embeddings later and MMR works unchanged (it only needs L2-normalised rows).
"""

from __future__ import annotations

import hashlib
import re
from datetime import date

import duckdb
import numpy as np

from sentiment.settings import LABELS

DIM = 2048
_TOKEN = re.compile(r"[a-z0-9][a-z0-9'.+]*[a-z0-9]|[a-z0-9]")
_STOP = frozenset("""a an the and or but if of to in on at for with by from as is are was were be been it
this that these those i you he she we they me my our your their its not no so just do does did have has
had will would can could should there here what which who about than then too very also""".split())


def _bucket(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=4).digest(), "little") % DIM


def embed_texts(texts: list[str]) -> np.ndarray:
    """L2-normalised vectors for texts (rows), comparable by dot product.

    Words (minus stop words) and word bigrams are hashed into ``DIM`` buckets with sublinear
    term frequency. Swap the body for an encoder's embeddings; callers rely only on the shape
    ``(len(texts), d)`` and unit-length rows.
    """
    out = np.zeros((len(texts), DIM), dtype=np.float32)
    for i, text in enumerate(texts):
        words = [w for w in _TOKEN.findall(text.lower()) if w not in _STOP]
        grams = words + [f"{a} {b}" for a, b in zip(words, words[1:])]
        for gram in grams:
            out[i, _bucket(gram)] += 1.0
    np.log1p(out, out=out)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.divide(out, norms, out=out, where=norms > 0)


def mmr(relevance: np.ndarray, vectors: np.ndarray, k: int, lam: float = 0.6) -> list[int]:
    """Indices of ``k`` items chosen by maximal marginal relevance.

    Each step takes the item maximising ``lam·relevance − (1 − lam)·max similarity to the chosen``.
    """
    n = len(relevance)
    if n == 0 or k <= 0:
        return []
    # einsum, not ``@``: these matrices are tiny, and a multithreaded BLAS would spend longer
    # starting its threads than computing them.
    sims = np.einsum("ij,kj->ik", vectors, vectors)
    chosen = [int(np.argmax(relevance))]
    best_sim = sims[chosen[0]].copy()
    while len(chosen) < min(k, n):
        score = lam * relevance - (1 - lam) * best_sim
        score[chosen] = -np.inf
        nxt = int(np.argmax(score))
        chosen.append(nxt)
        best_sim = np.maximum(best_sim, sims[nxt])
    return chosen


_CANDIDATES = """
    SELECT doc_id, label, text, thread_title, url, source, confidence, created_at FROM (
        SELECT *, row_number() OVER (PARTITION BY label, thread_id ORDER BY confidence DESC, doc_id)
                  AS per_thread
        FROM classified_documents
        WHERE day BETWEEN ? AND ? AND kind <> 'post' AND length(text) BETWEEN ? AND ?
          AND (? IS NULL OR source = ?))
    WHERE per_thread <= 3
    QUALIFY row_number() OVER (PARTITION BY label ORDER BY confidence DESC, doc_id) <= ?
"""


def representative_quotes(con: duckdb.DuckDBPyConnection, start: date, end: date, *, k: int = 3,
                          source: str | None = None, pool: int = 40, min_chars: int = 20,
                          max_chars: int = 1200, lam: float = 0.6) -> dict[str, list[dict]]:
    """Up to ``k`` quotes per stance written between ``start`` and ``end`` (inclusive days).

    The pool is the ``pool`` most confident comments per stance (at most three per thread);
    MMR picks ``k`` of them. Each quote carries its doc_id, text, thread title, url, source,
    confidence and time; rows come back most relevant first.
    """
    rows = con.execute(_CANDIDATES, [start, end, min_chars, max_chars, source, source, pool]).fetchall()
    by_label: dict[str, list[dict]] = {label: [] for label in LABELS}
    for doc_id, label, text, title, url, src, confidence, created in rows:
        by_label[label].append({"doc_id": doc_id, "text": text, "thread_title": title, "url": url,
                                "source": src, "confidence": float(confidence), "created_at": created})
    out: dict[str, list[dict]] = {}
    for label, candidates in by_label.items():
        candidates.sort(key=lambda q: (-q["confidence"], q["doc_id"]))
        if not candidates:
            out[label] = []
            continue
        vectors = embed_texts([q["text"] for q in candidates])
        relevance = np.array([q["confidence"] for q in candidates])
        out[label] = [candidates[i] for i in mmr(relevance, vectors, k, lam)]
    return out
