"""Dump import throughput: `sentiment collect dump`'s bulk path against the row path and a naive
row-by-row INSERT, on a generated Pushshift-style comment dump, in the same run.

Prints rows/s for each, the bulk path's resident memory after every batch (it should stay flat
while the file streams) and the process's peak RSS. The slower baselines run on a sample and are
extrapolated to the full dump.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sentiment.sources.dump import parse_record  # noqa: E402
from sentiment.store import connect, upsert_documents  # noqa: E402

WORDS = ("qwen open weights team lead api closed models local release community hope doubt worried "
         "thanks benchmark license quant gguf alibaba future source the a to and of is it that").split()
NON_ASCII = ("it’s", "don’t", "😬", "—", "naïve", "&amp;")
START = 1771200000  # 2026-02-16


# The ceiling: DuckDB's own parallel JSON reader straight into the documents table in one statement,
# with the keys built but none of the import's per-row work (normalising, hashing, author HMAC,
# dedupe, merge against stored rows, a commit per batch).
FLOOR_SQL = """
    INSERT INTO documents (doc_id, source, kind, external_id, thread_id, parent_id, created_at, text, url, fetched_at)
    SELECT 'reddit:t1_' || id, 'reddit', 'comment', 't1_' || id, 'reddit:' || link_id, 'reddit:' || parent_id,
           make_timestamp(CAST(created_utc * 1000000 AS BIGINT)), body,
           'https://www.reddit.com' || permalink, ?
    FROM read_json(?, format = 'newline_delimited', columns = {id: 'VARCHAR', link_id: 'VARCHAR',
                   parent_id: 'VARCHAR', body: 'VARCHAR', created_utc: 'DOUBLE', permalink: 'VARCHAR'})
"""


def timed_batches(db: Path, batches: list, rows: int) -> tuple[float, float]:
    """Wall and CPU seconds to run ``batches`` (each a callable given the connection) on a fresh
    store, one committed transaction each, checkpointed at the end; checks ``rows`` were stored."""
    with connect(db) as con:
        c, t = cpu_seconds(), time.perf_counter()
        for batch in batches:
            con.execute("BEGIN")
            batch(con)
            con.execute("COMMIT")
        con.execute("CHECKPOINT")
        seconds, cpu = time.perf_counter() - t, cpu_seconds() - c
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == rows
    return seconds, cpu


def load_ceiling(db: Path, files: list[Path], rows: int) -> float:
    """Seconds for DuckDB to load ``files`` into a fresh store's documents table, one transaction
    per file."""
    now = datetime.now()
    return timed_batches(db, [lambda con, path=path: con.execute(FLOOR_SQL, [now, str(path)]) for path in files],
                         rows)[0]


def store_ceiling(stored: Path, db: Path, size: int) -> tuple[float, float]:
    """Wall and CPU seconds for DuckDB to store the import's own final rows (read back from
    ``stored`` into memory first, so nothing is parsed or computed) in a fresh store's documents
    table, ``size`` rows per transaction: the storage share of the import, which no change to its
    per-row work can remove."""
    with connect(stored) as con:
        rows = con.sql("SELECT * FROM documents").to_arrow_table()

    def insert(con, part) -> None:
        con.register("_rows", part)
        con.execute("INSERT INTO documents BY NAME SELECT * FROM _rows")
        con.unregister("_rows")

    parts = [rows.slice(lo, size) for lo in range(0, rows.num_rows, size)]
    return timed_batches(db, [lambda con, part=part: insert(con, part) for part in parts], rows.num_rows)


def cpu_seconds() -> float:
    """CPU seconds this process has used so far, every thread (DuckDB's workers too)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def split(dump: Path, size: int) -> list[Path]:
    """The dump cut into files of ``size`` lines (the import's batches), streamed."""
    parts: list[Path] = []
    with open(dump, "rb") as src:
        while True:
            lines = [line for _, line in zip(range(size), src)]
            if not lines:
                return parts
            parts.append(dump.with_name(f"{dump.stem}.part{len(parts)}.ndjson"))
            parts[-1].write_bytes(b"".join(lines))


def generate(path: Path, n: int, non_ascii_share: float, seed: int = 7) -> None:
    """A comment dump in the Pushshift shape: threads of 500 comments, replies to earlier ones."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as out:
        for i in range(n):
            words = [rng.choice(WORDS) for _ in range(rng.randint(5, 60))]
            if rng.random() < non_ascii_share:
                words.insert(rng.randrange(len(words)), rng.choice(NON_ASCII))
            thread = i // 500
            parent = f"t1_c{rng.randrange(thread * 500, i):07d}" if i % 500 and rng.random() < 0.7 else f"t3_p{thread}"
            out.write(json.dumps({
                "id": f"c{i:07d}", "link_id": f"t3_p{thread}", "parent_id": parent,
                "author": f"user{rng.randrange(n // 4 + 1)}", "body": " ".join(words),
                "created_utc": START + rng.randrange(60 * 60 * 24 * 35), "subreddit": "LocalLLaMA",
                "score": rng.randint(-5, 200), "permalink": f"/r/LocalLLaMA/comments/p{thread}/t/c{i:07d}/",
            }, ensure_ascii=False))
            out.write("\n")


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--row-path-rows", type=int, default=20_000, help="sample for the row path")
    parser.add_argument("--naive-rows", type=int, default=2_000, help="sample for the row-by-row INSERT")
    parser.add_argument("--non-ascii", type=float, default=0.05,
                        help="share of comments with non-ASCII text or entities (normalised in Python)")
    args = parser.parse_args()
    os.environ.setdefault("SENTIMENT_AUTHOR_KEY", "bench")
    from sentiment.collect import run_source
    from sentiment.settings import get_settings

    get_settings.cache_clear()
    batch_rows = get_settings().dump_batch_rows
    cores = len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "RC_bench.ndjson"
        t = time.perf_counter()
        generate(dump, args.rows, args.non_ascii)
        print(f"generated {args.rows:,} comments ({dump.stat().st_size / 2**20:,.0f} MiB, "
              f"{args.non_ascii:.0%} non-ASCII) in {time.perf_counter() - t:.1f}s; "
              f"{cores} CPUs; batch {batch_rows:,} rows")

        samples: list[float] = []
        with connect(Path(tmp) / "bulk.duckdb") as con:
            c, t = cpu_seconds(), time.perf_counter()
            report = run_source(con, "dump", {"paths": [str(dump)]}, on_progress=lambda d, n: samples.append(rss_mb()), settings=get_settings())
            bulk, bulk_cpu = time.perf_counter() - t, cpu_seconds() - c
            assert report.new == args.rows, report
            stored = con.execute("SELECT count(*) FROM documents").fetchone()[0]
            t = time.perf_counter()
            again = run_source(con, "dump", {"paths": [str(dump)]}, settings=get_settings())
            rerun = time.perf_counter() - t
            assert again.new == 0 and again.unchanged == args.rows
        bulk_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        floor = load_ceiling(Path(tmp) / "floor.duckdb", [dump], args.rows)
        batch_files = split(dump, batch_rows)
        floor_batched = load_ceiling(Path(tmp) / "floor_batched.duckdb", batch_files, args.rows)
        for part in batch_files:
            part.unlink()
        store, store_cpu = store_ceiling(Path(tmp) / "bulk.duckdb", Path(tmp) / "store.duckdb", batch_rows)

        with open(dump, encoding="utf-8") as f:
            records = [json.loads(next(f)) for _ in range(max(args.row_path_rows, args.naive_rows))]
        with connect(Path(tmp) / "rows.duckdb") as con:
            t = time.perf_counter()
            docs = [parse_record(r) for r in records[: args.row_path_rows]]
            for i in range(0, len(docs), 5_000):
                upsert_documents(con, docs[i:i + 5_000], author_key=b"bench")
            row_path = time.perf_counter() - t
        naive_docs = [parse_record(r) for r in records[: args.naive_rows]]
        with connect(Path(tmp) / "naive.duckdb") as con:
            now = datetime.now()
            t = time.perf_counter()
            for d in naive_docs:
                con.execute(
                    "INSERT INTO documents (doc_id, source, kind, external_id, thread_id, parent_id, "
                    "created_at, author_hash, text, url, fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [d.doc_id, d.source, d.kind, d.external_id, d.thread_id, d.parent_id, d.created_at,
                     d.author, d.text, d.url, now])
            naive = time.perf_counter() - t

    print(f"{'method':<46}{'rows':>11}{'seconds':>10}{'rows/s':>11}{'1M rows':>10}")
    for name, rows, secs in (
        ("bulk dump import (collect dump), new rows", args.rows, bulk),
        ("bulk dump import, re-run (all unchanged)", args.rows, rerun),
        ("ceiling: DuckDB read_json -> INSERT, no work", args.rows, floor),
        ("ceiling, one transaction per batch", args.rows, floor_batched),
        ("storing the import's final rows, no other work", args.rows, store),
        ("row path: parse_record + upsert_documents", args.row_path_rows, row_path),
        ("baseline: row-by-row INSERT (parsed rows)", args.naive_rows, naive),
    ):
        print(f"{name:<46}{rows:>11,}{secs:>10.1f}{rows / secs:>11,.0f}{1e6 * secs / rows:>9.0f}s")
    print(f"the bulk import runs at {floor_batched / bulk:.0%} of DuckDB's own load of the same file into the "
          f"same indexed table in the same batches ({floor / bulk:.0%} of it in one statement); the ceiling rows "
          "do no text repair, hashing, author HMAC, dedupe or merge")
    print(f"CPU: the bulk import used {bulk_cpu:.1f} CPU-s ({bulk_cpu / bulk:.1f} of {cores} cores busy); storing its "
          f"rows alone takes {store_cpu:.1f} CPU-s, {store_cpu / (cores * args.rows / 100_000):.0%} of the "
          f"{cores * args.rows / 100_000:.0f} CPU-s that {cores} cores have for {args.rows:,} rows at 100,000 rows/s")
    print(f"stored {stored:,} documents; bulk is {(args.rows / bulk) / (args.naive_rows / naive):,.0f}x the "
          f"row-by-row baseline and {(args.rows / bulk) / (args.row_path_rows / row_path):.1f}x the row path")
    if samples:
        quarter = samples[len(samples) // 4]
        print(f"RSS during the bulk import (MiB): after first batch {samples[0]:,.0f}, at 25% {quarter:,.0f}, "
              f"at end {samples[-1]:,.0f}, max {max(samples):,.0f}")
    print(f"peak RSS: {bulk_peak:,.0f} MiB after the bulk import; "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB for the whole run")


if __name__ == "__main__":
    main()
