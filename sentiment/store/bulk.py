"""Bulk import of Reddit dumps: Arrow batches of raw lines, parsed and normalised inside DuckDB.

The row path (parse each line in Python, ``upsert_documents``) runs at ~20k rows/s, dominated by
per-row Python work (JSON, ftfy, hashing). Here a batch of lines goes to DuckDB as one Arrow
column and the work is vectorised SQL: JSON extraction, filters, normalisation, the content
hash, the author HMAC (two SHA-256 passes over the padded key, exactly as RFC 2104), and the
dedupe key. Only texts that could need more than whitespace tidying (anything outside printable
ASCII, an HTML entity ``&``, a carriage return or control character) go through the Python
parser (:func:`sentiment.sources.dump.parse_record`), so the stored result is identical to the
row path's (tests compare the two). Both end in :func:`sentiment.store.writes.merge_incoming`,
so dedupe and update semantics are shared; one batch is one transaction.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone

import duckdb
import numpy as np
import pyarrow as pa

from sentiment.skips import MAX_EXAMPLES, HasSkips, Skips
from sentiment.sources.dump import parse_line
from sentiment.sources.fields import MAX_EPOCH, BadRecord
from sentiment.store.clock import utcnow
from sentiment.store.writes import UpsertResult, documents_table, merge_incoming, transaction

log = logging.getLogger(__name__)

# Texts the SQL path may tidy: printable ASCII except '&', plus tab and newline.
_SIMPLE = r"[\x20-\x25\x27-\x7e\t\n]*"
# A line whose text fields are not all JSON strings (or null), or whose created_utc is not a JSON
# number, a plain decimal string or null, goes to the Python parser: DuckDB would cast ``5`` or
# ``true`` to text, and a word in created_utc to NULL, where the Python parser names the field as
# malformed. (A key of the same name inside a nested object sends a line there too, which only
# costs time.)
_ODD_TYPES = (r'"(?:id|name|link_id|parent_id|author|body|title|selftext|subreddit|permalink|url)"'
              r'\s*:\s*[^"\sn]|"created_utc"\s*:\s*[^-0-9n\s"]')
_TIME_STRING = r'"created_utc"\s*:\s*"'
_DECIMAL_TIME_STRING = r'"created_utc"\s*:\s*"[0-9]+(?:\.[0-9]+)?"'
_FIELDS = ("id", "name", "link_id", "parent_id", "author", "body", "title", "selftext",
           "created_utc", "subreddit", "permalink", "url")

# normalize() for a simple text: trailing blanks per line, at most one blank line, stripped.
# (The regexes only run on texts with a newline, the trim only on texts that start or end with
# a blank: DuckDB's trim with a character list is slow, and most texts need neither.)
_TIDY = ("CASE WHEN contains({x}, chr(10)) THEN regexp_replace(regexp_replace({x}, '[ \\t]+\\n', chr(10), "
         "'g'), '\\n{{3,}}', chr(10) || chr(10), 'g') ELSE {x} END")
_BLANKS = "(' ', chr(9), chr(10))"
_STRIP = (f"CASE WHEN {{x}}[1] IN {_BLANKS} OR {{x}}[-1] IN {_BLANKS} "
          "THEN trim({x}, ' ' || chr(9) || chr(10)) ELSE {x} END")
# content_hash() of a normalised text (no outer blanks left to strip): runs of whitespace as one
# space, case-folded (lower() for ASCII), SHA-256.
_HASH = ("substr(sha256(lower(CASE WHEN contains({x}, '  ') OR contains({x}, chr(9)) OR contains({x}, chr(10)) "
         "THEN regexp_replace({x}, '[ \\t\\n]+', ' ', 'g') ELSE {x} END)), 1, 16)")


@dataclass
class DumpFilters:
    """Which dump records to keep: subreddits (any case), ``since <= created < until``, keywords
    (any, case-insensitive, in body, title or selftext)."""

    subreddits: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    keywords: list[str] = field(default_factory=list)


def _epoch(value: datetime | None) -> float | None:
    return None if value is None else value.replace(tzinfo=timezone.utc).timestamp()


def _hmac_pads(key: bytes) -> tuple[bytes, bytes]:
    """HMAC-SHA256 inner/outer padded keys, so SQL can compute ``author_hash`` like Python does."""
    if len(key) > 64:
        key = hashlib.sha256(key).digest()
    key = key.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)


class DumpImporter(HasSkips):
    """Imports batches of dump lines into ``documents`` (one transaction per batch); ``skips``
    counts the lines it did not import per reason and names the first few as ``FILE:LINE``."""

    def __init__(self, con: duckdb.DuckDBPyConnection, author_key: bytes, filters: DumpFilters) -> None:
        self.con = con
        self.author_key = author_key
        self.filters = filters
        self.ipad, self.opad = _hmac_pads(author_key)
        self.skips = Skips()
        self.result = UpsertResult()
        self.n_python = 0  # records normalised by the Python parser (not plain ASCII)

    def _where(self) -> tuple[str, str, str]:
        """SQL conditions (subreddit, date, keyword); values are inlined as typed literals
        built by DuckDB itself from parameters bound once in ``_filter`` (see there)."""
        f = self.filters
        sub = "true" if not f.subreddits else "lower(subreddit) IN (SELECT unnest(f_subs) FROM _filter)"
        date = "true"
        if f.since is not None or f.until is not None:
            date = ("(created IS NOT NULL AND created >= coalesce((SELECT f_lo FROM _filter), created) "
                    "AND created < coalesce((SELECT f_hi FROM _filter), created + 1))")
        kw = "true"
        if f.keywords:
            kw = ("list_bool_or([contains(lower(coalesce(body, '') || ' ' || coalesce(title, '') || ' ' || "
                  "coalesce(selftext, '')), k) for k in (SELECT f_kws FROM _filter)])")
        return sub, date, kw

    def _filter_table(self) -> None:
        """The filter values as a one-row temp table, bound as parameters (never spliced into SQL)."""
        f = self.filters
        self.con.execute(
            "CREATE OR REPLACE TEMP TABLE _filter AS SELECT ?::VARCHAR[] AS f_subs, ?::DOUBLE AS f_lo, "
            "?::DOUBLE AS f_hi, ?::VARCHAR[] AS f_kws",
            [[s.lower().removeprefix("r/") for s in f.subreddits], _epoch(f.since), _epoch(f.until),
             [k.lower() for k in f.keywords]])

    def import_lines(self, lines: Sequence[bytes] | pa.Array, line_numbers: Sequence[int] | None = None,
                     where: str = "line") -> UpsertResult:
        """Parse, filter, normalise and merge one batch of raw lines (bytes, or an Arrow binary
        array such as :meth:`DumpReader.batches` yields).

        ``line_numbers`` (the lines' numbers in their file, default 1..n) and ``where`` (the file
        name) name skipped lines in :attr:`examples`.
        """
        con = self.con
        numbers = line_numbers if line_numbers is not None else range(1, len(lines) + 1)
        self._name = lambda line_no: f"{where}:{numbers[line_no]}"
        column = lines if isinstance(lines, pa.Array) else pa.array(lines, pa.large_binary())
        try:
            column = column.cast(pa.large_string())  # validates UTF-8 for the whole batch at once
            n_undecodable = 0
        except pa.ArrowInvalid:
            texts: list[str | None] = []
            for line in column.to_pylist():
                try:
                    texts.append(line.decode("utf-8"))
                except UnicodeDecodeError:
                    texts.append(None)
            n_undecodable = sum(t is None for t in texts)
            self.skips.add("malformed line (not UTF-8)", count=n_undecodable)
            for line_no in [i for i, t in enumerate(texts) if t is None][:MAX_EXAMPLES]:
                self.skips.note("malformed line (not UTF-8)", self._name(line_no))
            column = pa.array(texts, pa.large_string())
        line_no = pa.array(np.arange(len(column), dtype=np.int64))
        con.register("_lines", pa.table({"line_no": line_no, "line": column}))
        try:
            return self._import_registered(len(column) - n_undecodable)
        finally:
            con.unregister("_lines")

    def _import_registered(self, n_lines: int) -> UpsertResult:
        con = self.con
        shape = "{" + ", ".join(f'"{name}": "{"DOUBLE" if name == "created_utc" else "VARCHAR"}"'
                                for name in _FIELDS) + "}"
        fields = ", ".join(f"r.{name} AS {name}" for name in _FIELDS if name != "created_utc")
        # One pass: decode, keep records with an id and a body or title, mark the simple ones, and
        # keep the raw line only where the Python parser will need it.
        con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _records AS
            SELECT * EXCLUDE (line), CASE WHEN NOT simple THEN line END AS line FROM (
                SELECT line_no, line, {fields}, r.created_utc AS created,
                       regexp_full_match(coalesce(r.body, r.selftext, ''), ?)
                       AND regexp_full_match(coalesce(r.title, ''), ?)
                       AND (r.created_utc IS NULL OR (r.created_utc >= 0 AND r.created_utc < {MAX_EPOCH}))
                       AND NOT regexp_matches(line, ?)
                       AND (NOT regexp_matches(line, ?) OR regexp_matches(line, ?)) AS simple
                FROM (SELECT line_no, line, try(json_transform(line, ?)) AS r FROM _lines WHERE line IS NOT NULL)
                WHERE coalesce(r.id, '') <> '' AND (r.body IS NOT NULL OR r.title IS NOT NULL))
        """, [_SIMPLE, _SIMPLE, _ODD_TYPES, _TIME_STRING, _DECIMAL_TIME_STRING, shape])
        n_records = con.execute("SELECT count(*) FROM _records").fetchall()[0][0]
        if n_lines - n_records:
            reason = "malformed line (not a JSON comment or submission)"
            self.skips.add(reason, count=n_lines - n_records)
            for (line_no,) in con.execute(
                    "SELECT line_no FROM _lines l WHERE line IS NOT NULL AND NOT EXISTS "
                    "(SELECT 1 FROM _records r WHERE r.line_no = l.line_no) "
                    f"ORDER BY line_no LIMIT {MAX_EXAMPLES}").fetchall():
                self.skips.note(reason, self._name(line_no))
        self._filter_table()
        sub, date, kw = self._where()
        counts = con.execute(f"""
            SELECT count(*) FILTER (WHERE NOT ({sub})),
                   count(*) FILTER (WHERE ({sub}) AND NOT ({date})),
                   count(*) FILTER (WHERE ({sub}) AND ({date}) AND NOT ({kw}))
            FROM _records""").fetchall()[0]
        for reason, n in zip(("outside the subreddit filter", "outside the date range",
                              "no keyword match"), counts):
            if n:
                self.skips.add(reason, count=n)
        con.execute(f"CREATE OR REPLACE TEMP VIEW _kept AS SELECT * FROM _records WHERE ({sub}) AND ({date}) AND ({kw})")
        now = utcnow()
        # The Python parser for texts the SQL path may not tidy.
        complex_lines = con.execute("SELECT line_no, line FROM _kept WHERE NOT simple").fetchall()
        self.n_python += len(complex_lines)
        # The Python parser runs in a thread while DuckDB (which releases the GIL) builds the
        # SQL-path rows (``_incoming``), so the two overlap.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(self._parse_complex, complex_lines, now)
            con.execute(self._fast_sql(), [self.opad, self.ipad, now])
            slow, bad = pending.result()
        n_bad = len(bad)
        for line_no, reason in bad:
            self.skips.add(reason, self._name(line_no))
        con.register("_slow", slow)
        try:
            result = UpsertResult(n_in=n_records - sum(counts) - n_bad)
            with transaction(con):
                if slow.num_rows:
                    con.execute("INSERT INTO _incoming BY NAME SELECT * FROM _slow")
                n_rows, n_unique = con.execute(
                    "SELECT count(*), count(DISTINCT doc_id) FROM _incoming").fetchall()[0]
                if n_rows != n_unique:  # the same id twice in a batch: the first line wins, as in the row path
                    con.execute("""
                        CREATE OR REPLACE TEMP TABLE _incoming AS SELECT * FROM _incoming
                        QUALIFY row_number() OVER (PARTITION BY doc_id ORDER BY line_no) = 1
                    """)
                merge_incoming(con, result, n_repeated=result.n_in - n_unique)
                con.execute("DROP TABLE _incoming")
        finally:
            con.unregister("_slow")
        self.result.add(result)
        return result

    def close(self) -> None:
        """Drop the per-batch temp relations (they hold the last batch in memory)."""
        for statement in ("DROP VIEW IF EXISTS _kept", "DROP TABLE IF EXISTS _records",
                          "DROP TABLE IF EXISTS _filter"):
            self.con.execute(statement)

    def _parse_complex(self, complex_lines: list[tuple[int, str]],
                       now: datetime) -> tuple[pa.Table, list[tuple[int, str]]]:
        """The shared Python parser for lines the SQL path may not handle; returns the rows and
        the bad lines as ``(line_no, reason)``."""
        docs, line_nos = [], []
        bad: list[tuple[int, str]] = []
        for line_no, line in complex_lines:
            try:
                doc = parse_line(line)
            except BadRecord as exc:  # e.g. a number where text belongs, a time past 9999
                bad.append((line_no, f"malformed line: {exc}"))
                continue
            if doc is None:
                bad.append((line_no, "malformed line (not a JSON comment or submission)"))
                continue
            docs.append(doc)
            line_nos.append(line_no)
        table = documents_table(docs, self.author_key, now)
        return table.append_column("line_no", pa.array(line_nos, pa.int64())), bad

    @staticmethod
    def _fast_sql() -> str:
        tidy, strip, chash = _TIDY.format, _STRIP.format, _HASH.format
        return f"""
            CREATE OR REPLACE TEMP TABLE _incoming AS
            WITH base AS (
                SELECT line_no, id, name, link_id, parent_id, author, created, permalink, url, title,
                       body IS NOT NULL AS is_comment,
                       CASE WHEN body IS NOT NULL THEN body ELSE coalesce(selftext, '') END AS raw
                FROM _kept WHERE simple
            ), shaped AS (
                SELECT line_no, is_comment,
                       raw IN ('[deleted]', '[removed]') AS gone,
                       CASE WHEN is_comment THEN coalesce(nullif(name, ''), 't1_' || id)
                            ELSE coalesce(nullif(name, ''), 't3_' || id) END AS external_id,
                       CASE WHEN is_comment THEN nullif(link_id, '')
                            ELSE coalesce(nullif(name, ''), 't3_' || id) END AS post_name,
                       CASE WHEN is_comment THEN coalesce(nullif(parent_id, ''), nullif(link_id, ''))
                            END AS parent,
                       CASE WHEN created IS NULL THEN NULL
                            ELSE make_timestamp(CAST(round(created * 1000000) AS BIGINT)) END AS created_at,
                       author, permalink, url, title, raw,
                       {tidy(x="raw")} AS tidy_raw, {tidy(x="coalesce(title, '')")} AS tidy_title
                FROM base
            ), texts AS (
                SELECT *,
                       CASE WHEN gone THEN raw ELSE {strip(x="tidy_raw")} END AS text,
                       CASE WHEN gone AND is_comment THEN NULL ELSE author END AS who
                FROM shaped
            ), authors AS (  -- HMAC once per distinct author in the batch
                SELECT who, substr(sha256($1::BLOB || unhex(sha256($2::BLOB || encode(who)))), 1, 20) AS a_hash
                FROM (SELECT DISTINCT who FROM texts
                      WHERE coalesce(who, '') <> '' AND who NOT IN ('[deleted]', '[removed]'))
            ), hashed AS (
                SELECT t.*, {chash(x="t.text")} AS c_hash, a.a_hash
                FROM texts t LEFT JOIN authors a ON a.who = t.who
            )
            SELECT 'reddit:' || external_id AS doc_id, 'reddit' AS source,
                   CASE WHEN is_comment THEN 'comment' ELSE 'post' END AS kind,
                   external_id,
                   CASE WHEN post_name IS NULL THEN NULL ELSE 'reddit:' || post_name END AS thread_id,
                   CASE WHEN parent IS NULL THEN NULL ELSE 'reddit:' || parent END AS parent_id,
                   created_at, a_hash AS author_hash,
                   CASE WHEN is_comment THEN NULL ELSE {strip(x="tidy_title")} END AS title,
                   text,
                   CASE WHEN coalesce(permalink, '') <> '' THEN 'https://www.reddit.com' || permalink
                        WHEN is_comment THEN NULL ELSE url END AS url,
                   CAST($3 AS TIMESTAMP) AS fetched_at, gone AS deleted, c_hash AS content_hash,
                   CASE WHEN gone OR text = '' THEN NULL
                        ELSE (CASE WHEN is_comment THEN 'comment' ELSE 'post' END) || '|' ||
                             coalesce(CASE WHEN post_name IS NULL THEN NULL ELSE 'reddit:' || post_name END, 'None')
                             || '|' || coalesce(a_hash, 'None') || '|' || c_hash END AS dedupe_key,
                   CAST(NULL AS VARCHAR) AS date_source, CAST(NULL AS VARCHAR) AS language,
                   line_no
            FROM hashed
        """
