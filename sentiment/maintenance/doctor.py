"""``sentiment doctor``: check a database without writing to it, and say what to do about it.

Each check returns :class:`Finding` rows: ``ok``, ``info`` (normal, worth knowing, e.g. comments
whose parent was never collected) or ``action`` (something is wrong or stale; ``fix`` is the exact
command that mends it). The file is opened read-only; when a writer holds it, the published read
copy is checked instead and the report says so.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from sentiment.store.compact import quoted_literal
from sentiment.store.db import migrations
from sentiment.store.clock import utcnow
from sentiment.store.lock import writer_busy
from sentiment.store.snapshot import is_stale, snapshot_path
from sentiment.store.writes import ACTIVE_MODEL_KEY

STUCK_AFTER = timedelta(hours=1)
"""A run still 'running' this long after it started was interrupted (no step takes that long
between its start and its first write on this project's data sizes)."""


@dataclass
class Finding:
    """One check's result: ``status`` is ok, info or action; ``fix`` the command to run."""

    check: str
    status: str
    detail: str
    fix: str | None = None


@dataclass
class StepSummary:
    """The runs of one step (``ingest``, ``collect:reddit``, ``classify``, ``trends``...)."""

    step: str
    runs: int
    last_status: str
    last_started: datetime | None
    last_n_in: int | None
    last_n_new: int | None
    last_n_skipped: int | None
    failed: int
    running: int


@dataclass
class DoctorReport:
    """What ``check_database`` found; ``healthy`` is true when no finding needs action."""

    path: Path
    checked: Path
    findings: list[Finding] = field(default_factory=list)
    steps: list[StepSummary] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        return not any(f.status == "action" for f in self.findings)


def open_read_only(path: Path) -> tuple[duckdb.DuckDBPyConnection, Path]:
    """The database opened read-only (never migrated, never written), or its read copy when a
    writer holds the file; raises FileNotFoundError for a missing file."""
    if not path.exists():
        raise FileNotFoundError(f"no database at {path}: run `sentiment demo` or `sentiment ingest PATH` first, "
                                "or give the right file with --db")
    config = {"autoinstall_known_extensions": False}
    try:
        return duckdb.connect(str(path), read_only=True, config=config), path
    except duckdb.IOException as exc:
        copy = snapshot_path(path)
        if "lock" not in str(exc).lower() or not copy.exists():
            raise
        return duckdb.connect(str(copy), read_only=True, config=config), copy


def check_database(path: str | Path, *, now: datetime | None = None) -> DoctorReport:
    """Run every check on the database at ``path`` (read-only)."""
    path = Path(path)
    con, checked = open_read_only(path)
    try:
        report = DoctorReport(path=path, checked=checked)
        doctor = _Doctor(con, path, now or utcnow())
        report.findings = doctor.findings()
        report.steps = doctor.steps()
        if checked != path:
            report.findings.insert(0, Finding(
                "database", "info", f"a writer holds {path}; checked its read copy {checked.name}"))
        return report
    finally:
        con.close()


class _Doctor:
    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, now: datetime) -> None:
        self.con, self.path, self.now = con, path, now
        self.tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}

    def _one(self, sql: str, params: list | None = None):
        return self.con.execute(sql, params or []).fetchone()[0]

    def _cmd(self, *args: str) -> str:
        return "sentiment --db " + shlex.quote(str(self.path)) + " " + " ".join(args)

    def _sql(self, statement: str) -> str:
        """A shell command that runs ``statement`` with the DuckDB CLI, quoted for the shell."""
        return f"duckdb {shlex.quote(str(self.path))} {shlex.quote(statement)}"

    def findings(self) -> list[Finding]:
        found = self.schema()
        if "documents" not in self.tables:
            return found
        for check in (self.orphans, self.models, self.pending, self.trends, self.event_effects, self.runs,
                      self.failures, self.read_copy):
            found.extend(check())
        return found

    # --- schema ---------------------------------------------------------------
    def schema(self) -> list[Finding]:
        known = {version: name for version, name, _ in migrations()}
        applied: dict[int, str] = {}
        if "schema_version" in self.tables:
            applied = dict(self.con.execute("SELECT version, name FROM schema_version").fetchall())
        missing = [known[v] for v in sorted(set(known) - set(applied))]
        unknown = [applied[v] for v in sorted(set(applied) - set(known))]
        out = []
        if unknown:
            out.append(Finding("schema", "action",
                               f"written by a newer version of this program (migrations {', '.join(unknown)})",
                               "pip install -U community-stance"))
        if missing:
            out.append(Finding("schema", "action",
                               f"{len(missing)} migration(s) not applied: {', '.join(missing)}",
                               self._cmd("doctor", "--migrate")))
        if not unknown and not missing:
            out.append(Finding("schema", "ok", f"version {max(applied)}: all {len(known)} migrations applied"))
        return out

    # --- rows that point nowhere ------------------------------------------------
    def orphans(self) -> list[Finding]:
        out = []
        orphan = self._one("SELECT count(*) FROM stances s ANTI JOIN documents d USING (doc_id)")
        if orphan:
            out.append(Finding("stances without a document", "action", f"{orphan} stance rows",
                               self._sql("DELETE FROM stances WHERE doc_id NOT IN (SELECT doc_id FROM documents)")))
        on_deleted = self._one(
            "SELECT count(*) FROM stances s JOIN documents d USING (doc_id) WHERE d.deleted")
        if on_deleted:
            out.append(Finding("stances on deleted documents", "action", f"{on_deleted} stance rows",
                               self._sql("DELETE FROM stances WHERE doc_id IN "
                                         "(SELECT doc_id FROM documents WHERE deleted)")))
        if not orphan and not on_deleted:
            out.append(Finding("stances", "ok", "every stance belongs to a stored, live document"))
        if "labels" in self.tables:
            # labels keep their text on purpose, so a label outliving its document is not damage
            n = self._one("SELECT count(*) FROM labels l WHERE NOT EXISTS "
                          "(SELECT 1 FROM documents d WHERE d.doc_id = l.id)")
            if n:
                out.append(Finding("labels without a document", "info",
                                   f"{n} labels (kept with their text; training still uses them)"))
        threads, parents = self.con.execute("""
            SELECT count(*) FILTER (WHERE d.thread_id IS NOT NULL AND t.doc_id IS NULL),
                   count(*) FILTER (WHERE d.parent_id IS NOT NULL AND p.doc_id IS NULL)
            FROM documents d
            LEFT JOIN documents t ON t.doc_id = d.thread_id
            LEFT JOIN documents p ON p.doc_id = d.parent_id""").fetchone()
        if threads or parents:
            out.append(Finding("links to documents not collected", "info",
                               f"{threads} with an unknown thread, {parents} with an unknown parent "
                               "(normal for a partial collection: a dump slice, a listing)"))
        return out

    # --- models and classification ---------------------------------------------
    def _active(self) -> str | None:
        if "meta" not in self.tables:
            return None
        row = self.con.execute("SELECT value FROM meta WHERE key = ?", [ACTIVE_MODEL_KEY]).fetchone()
        return row[0] if row else None

    def models(self) -> list[Finding]:
        active = self._active()
        versions = dict(self.con.execute(
            "SELECT model_version, count(*) FROM stances GROUP BY ALL").fetchall())
        if active is None:
            if versions:
                return [Finding("active model", "action",
                                f"stances from {len(versions)} model(s) but none is active",
                                self._cmd("classify"))]
            return [Finding("active model", "info", "nothing classified yet")]
        old = {v: n for v, n in versions.items() if v != active}
        if not old:
            return [Finding("models", "ok", f"every stance is from the active model {active}")]
        listing = ", ".join(f"{v} ({n})" for v, n in sorted(old.items()))
        return [Finding("stances from outdated models", "action",
                        f"{sum(old.values())} rows from {listing}; the active model is {active} "
                        "(the views show only its stances)",
                        self._sql("DELETE FROM stances WHERE model_version <> " + quoted_literal(active)))]

    def pending(self) -> list[Finding]:
        from sentiment.classify.run import count_pending

        active = self._active()
        n = count_pending(self.con, active or "", with_text=True)
        if n:
            return [Finding("pending classification", "action",
                            f"{n} documents have no stance from {active or 'any model'}", self._cmd("classify"))]
        return [Finding("pending classification", "ok", "every community document is classified")]

    def trends(self) -> list[Finding]:
        """The trend tables against what changed since their refresh: stances, documents, events."""
        if "stance_day_counts" not in self.tables:
            return []
        refreshed = self._one("SELECT max(refreshed_at) FROM stance_day_counts")
        classified = self._one("SELECT max(classified_at) FROM stances")
        newer = []
        if classified is not None and (refreshed is None or refreshed < classified):
            newer.append("the last classification")
        docs, events = False, False
        for step, n_new, n_updated, notes in self.con.execute(
                "SELECT step, n_new, n_updated, notes FROM runs WHERE (step = 'ingest' OR step LIKE 'collect:%') "
                "AND status IN ('ok', 'partial') AND (? IS NULL OR finished_at > ?)", [refreshed, refreshed]).fetchall():
            docs = docs or bool(n_new or n_updated)
            try:
                counts = (json.loads(notes or "{}").get("events") or {})
            except (ValueError, AttributeError):
                counts = {}
            events = events or bool(isinstance(counts, dict) and (counts.get("new") or counts.get("updated")))
        if docs:
            newer.append("documents stored since")
        if events:
            newer.append("events stored since")
        if newer:
            when = f"refreshed {refreshed:%Y-%m-%d %H:%M} UTC" if refreshed else "never refreshed"
            return [Finding("trend tables", "action", f"{when}, older than {', '.join(newer)}", self._cmd("trends"))]
        if refreshed is None:
            return []
        return [Finding("trend tables", "ok", f"refreshed {refreshed:%Y-%m-%d %H:%M} UTC, after every change")]

    def event_effects(self) -> list[Finding]:
        """Events with no ``event_effects`` rows: stale when classified documents fall in their
        windows (the trends step makes the rows), normal when none do."""
        if "event_effects" not in self.tables or "events" not in self.tables:
            return []
        rows = self.con.execute("""
            SELECT e.event_id,
                   (SELECT count(*) FROM classified_documents c
                    WHERE c.day BETWEEN e.occurred_at - 14 AND e.occurred_at + 13) AS n
            FROM events e
            WHERE NOT EXISTS (SELECT 1 FROM event_effects f WHERE f.event_id = e.event_id)
            ORDER BY e.occurred_at, e.event_id""").fetchall()
        stale = [f"{event_id} ({n} classified documents in its windows)" for event_id, n in rows if n]
        quiet = [event_id for event_id, n in rows if not n]
        out = []
        if stale:
            out.append(Finding("events without effect rows", "action", "; ".join(stale[:10]), self._cmd("trends")))
        if quiet:
            out.append(Finding("events without documents", "info",
                               f"{', '.join(quiet[:10])}: no classified document in their windows yet"))
        return out

    def read_copy(self) -> list[Finding]:
        """The published read copy (what dashboards and the brief read) against the database."""
        copy = snapshot_path(self.path)
        if not copy.exists():
            return [Finding("read copy", "info", f"{copy.name} not published yet; the next writer publishes it")]
        if not is_stale(self.path):
            return [Finding("read copy", "ok", f"{copy.name} is as new as the database")]
        if writer_busy(self.path):
            return [Finding("read copy", "info", f"{copy.name} is older than the database: a writer is running "
                                                 "and publishes it when it finishes")]
        return [Finding("read copy", "action", f"{copy.name} is older than the database: readers see old data "
                                               "(a writer ended without publishing, or the file was changed by "
                                               "another tool); any writer publishes it", self._cmd("trends"))]

    # --- runs ----------------------------------------------------------------------
    def _rerun(self, step: str, notes: str | None) -> str:
        if step.startswith("collect:"):
            kind = step.split(":", 1)[1]
            try:
                params = json.loads(notes or "{}").get("params") or {}
            except ValueError:
                params = {}
            return self._cmd("collect", kind, *_collect_args(kind, params))
        if step == "ingest":
            return self._cmd("ingest", "PATH...")
        if step == "collect":  # the collect flow's row naming the sources that failed
            return "prefect deployment run collect/collect-hourly"
        return self._cmd(step)

    def runs(self) -> list[Finding]:
        out = []
        stuck = self.con.execute(
            "SELECT run_id, step, started_at FROM runs WHERE status = 'running' AND started_at < ? "
            "ORDER BY started_at", [self.now - STUCK_AFTER]).fetchall()
        for run_id, step, started in stuck:
            out.append(Finding("run stuck at 'running'", "action",
                               f"{step} started {started:%Y-%m-%d %H:%M} UTC never finished (interrupted); "
                               f"mark it failed, then run the step again: {self._rerun(step, None)}",
                               self._sql("UPDATE runs SET status = 'failed', finished_at = now() "
                                         "WHERE run_id = " + quoted_literal(run_id))))
        last = self.con.execute("""
            SELECT step, status, notes FROM runs WHERE status <> 'running'
            QUALIFY row_number() OVER (PARTITION BY step ORDER BY started_at DESC) = 1
            ORDER BY step""").fetchall()
        for step, status, notes in last:
            try:
                parsed = json.loads(notes or "{}")
            except ValueError:
                parsed = {}
            parsed = parsed if isinstance(parsed, dict) else {}
            if status == "failed":
                error = parsed.get("error") or _failed_items(parsed) or "no error recorded"
                out.append(Finding(f"last {step} run failed", "action", str(error)[:200], self._rerun(step, notes)))
            elif status == "partial":
                out.append(Finding(f"last {step} run partial", "action",
                                   f"stored some, failed some: {_failed_items(parsed) or 'see its notes'}"[:200],
                                   self._rerun(step, notes)))
        if not stuck and not any(s in ("failed", "partial") for _, s, _ in last):
            out.append(Finding("runs", "ok", f"the last run of each of {len(last)} steps succeeded"))
        return out

    def failures(self) -> list[Finding]:
        """Items a collector could not fetch, waiting for a later run of their source, and the
        permanent failures of pages and feeds given up after their last attempt."""
        if "collect_failures" not in self.tables:
            return []
        columns = {r[0] for r in self.con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'collect_failures'").fetchall()}
        policy = "given_up_at" in columns  # migration 009; an older file has no schedule
        given_up = "given_up_at IS NOT NULL" if policy else "false"
        next_at = "min(next_attempt_at)" if policy else "NULL"
        out = []
        for source, n, attempts, reason, items, next_attempt in self.con.execute(f"""
                SELECT source, count(*), max(attempts), arg_max(reason, last_failed_at),
                       list(item ORDER BY first_failed_at, item)[1:3], {next_at}
                FROM collect_failures WHERE NOT ({given_up}) GROUP BY source ORDER BY source""").fetchall():
            when = (f"not before {next_attempt:%Y-%m-%d %H:%M} UTC (spaced retries)" if next_attempt
                    and next_attempt > self.now else "the next run of that source retries them")
            out.append(Finding(f"{source} items waiting for a retry", "action",
                               f"{n} (e.g. {', '.join(items)}; up to {attempts} attempts; last reason: {reason}); "
                               + when, self._failure_fix(source)))
        if policy:
            for source, item, attempts, reason, when, n, rank in self.con.execute("""
                    SELECT source, item, attempts, reason, given_up_at, count(*) OVER (PARTITION BY source),
                           row_number() OVER (PARTITION BY source ORDER BY given_up_at, item) AS rank
                    FROM collect_failures WHERE given_up_at IS NOT NULL
                    QUALIFY rank <= ? ORDER BY source, rank""", [_GIVEN_UP_SHOWN]).fetchall():
                more = f"; {n - rank} more of {source} given up" if rank == _GIVEN_UP_SHOWN < n else ""
                out.append(Finding(f"{source} item given up", "action",
                                   f"{item}: {reason} ({attempts} attempts, given up {when:%Y-%m-%d %H:%M} UTC)"
                                   + more, self._cmd("collect", _GIVEN_UP_KINDS.get(source, source), "--retry-given-up")))
        return out

    def _failure_fix(self, source: str) -> str:
        """The command that retries ``source``'s failures: its last run again."""
        steps = _FAILURE_STEPS.get(source, [f"collect:{source}"])
        row = self.con.execute(
            "SELECT step, notes FROM runs WHERE list_contains(?, step) ORDER BY started_at DESC LIMIT 1",
            [steps]).fetchall()
        return self._rerun(*row[0]) if row else self._rerun(steps[0], None)

    def steps(self) -> list[StepSummary]:
        if "runs" not in self.tables:
            return []
        rows = self.con.execute("""
            SELECT step, count(*) OVER w, status, started_at, n_in, n_new, n_skipped,
                   count(*) FILTER (WHERE status = 'failed') OVER w,
                   count(*) FILTER (WHERE status = 'running') OVER w
            FROM runs
            WINDOW w AS (PARTITION BY step)
            QUALIFY row_number() OVER (PARTITION BY step ORDER BY started_at DESC) = 1
            ORDER BY step""").fetchall()
        return [StepSummary(*row) for row in rows]


_FAILURE_STEPS: dict[str, list[str]] = {
    "web": ["collect:pages"], "feeds": ["collect:feeds"], "files": ["collect:files", "ingest"],
}
"""The steps whose next run retries a ``collect_failures`` source (others: ``collect:<source>``)."""

_GIVEN_UP_SHOWN = 10
"""Given-up items doctor names one by one per source (the rest are counted)."""

_GIVEN_UP_KINDS: dict[str, str] = {"web": "pages", "feeds": "feeds"}
"""The ``sentiment collect`` kind whose ``--retry-given-up`` retries a source's given-up items."""


def _failed_items(notes: dict) -> str:
    """What a run's notes say failed: items, files or sources, the first few."""
    found = notes.get("failed") or list(notes.get("failed_files") or {}) or list(notes.get("failed_sources") or {})
    if not found:
        return ""
    items = [str(x) for x in found]
    return f"{len(items)} failed ({', '.join(items[:3])}{' …' if len(items) > 3 else ''})"


def _collect_args(kind: str, params: dict) -> list[str]:
    """The command-line options of a recorded collect run (its ``params`` note), rendered by the
    kind's params dataclass; a note it cannot read gives none."""
    from sentiment.collect import COLLECTORS

    if kind not in COLLECTORS or not isinstance(params, dict):
        return []
    try:
        return COLLECTORS[kind].params.from_dict(params, strict=False).cli_args()
    except (TypeError, ValueError):
        return []
