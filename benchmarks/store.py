"""Bulk upsert throughput against a naive row-by-row insert, on generated comments.

Prints rows/s for: the pipeline's Arrow upsert (new rows), the same rows again (all unchanged),
and a row-by-row parameterised INSERT of the same data into the same schema.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sentiment.records import Document
from sentiment.store import connect, upsert_documents

WORDS = ("qwen open weights team lead api closed models local release community hope doubt "
         "worried thanks benchmark license quant gguf alibaba future source").split()


def generate(n: int, seed: int = 7) -> list[Document]:
    rng = random.Random(seed)
    start = datetime(2026, 2, 16)
    docs = []
    for i in range(n):
        thread = f"reddit:t3_{i // 500}"
        docs.append(Document(
            source="reddit", kind="comment", external_id=f"t1_{i:07d}", thread_id=thread,
            parent_id=thread, author=f"user{rng.randrange(n // 3 + 1)}",
            text=" ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 80))),
            created_at=start + timedelta(minutes=rng.randrange(60 * 24 * 35)),
        ))
    return docs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--naive-rows", type=int, default=5_000,
                        help="rows for the row-by-row baseline (it is slow)")
    args = parser.parse_args()
    docs = generate(args.rows)
    key = b"bench"
    with tempfile.TemporaryDirectory() as tmp:
        with connect(Path(tmp) / "bulk.duckdb") as con:
            t = time.perf_counter()
            result = upsert_documents(con, docs, author_key=key)
            bulk = time.perf_counter() - t
            assert result.n_new == len(docs)
            t = time.perf_counter()
            again = upsert_documents(con, docs, author_key=key)
            rerun = time.perf_counter() - t
            assert again.n_new == 0 and again.n_unchanged == len(docs)
        naive_docs = docs[: args.naive_rows]
        with connect(Path(tmp) / "naive.duckdb") as con:
            now = datetime.now()
            t = time.perf_counter()
            for d in naive_docs:
                con.execute(
                    "INSERT INTO documents (doc_id, source, kind, external_id, thread_id, parent_id, "
                    "created_at, author_hash, text, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [d.doc_id, d.source, d.kind, d.external_id, d.thread_id, d.parent_id,
                     d.created_at, d.author, d.text, now])
            naive = time.perf_counter() - t
    print(f"{'method':<34}{'rows':>10}{'seconds':>10}{'rows/s':>12}")
    for name, rows, secs in (
        ("bulk Arrow upsert (new rows)", len(docs), bulk),
        ("bulk Arrow upsert (re-run)", len(docs), rerun),
        ("baseline: row-by-row INSERT", len(naive_docs), naive),
    ):
        print(f"{name:<34}{rows:>10}{secs:>10.2f}{rows / secs:>12,.0f}")
    print(f"bulk upsert is {(len(docs) / bulk) / (len(naive_docs) / naive):.0f}x the row-by-row baseline")


if __name__ == "__main__":
    main()
