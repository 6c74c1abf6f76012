"""Audit samples: uniform random draws of classified comments for a person to label.

An audit measures the classifier instead of teaching it. Its labels are stored with
``purpose = 'audit'`` and never train a model (the correction needs labels independent of the
model), and each draw records its frame: which comments could be drawn (an event's windows, a
date range), the model then active, the seed, and the drawn documents in the order shown, so an
interrupted audit resumes where it stopped. ``sentiment.insight.ppi`` turns the labels into
corrected shares with intervals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from sentiment.classify.labels import QueueItem
from sentiment.store.clock import utcnow
from sentiment.store.writes import ACTIVE_MODEL_KEY, get_meta

# Classified comments that carry no label yet; ``?`` placeholders: event (twice), since, until.
_FRAME = """
    SELECT c.doc_id, c.text, c.thread_title, c.label, c.confidence, w."window"
    FROM classified_documents c
    LEFT JOIN events e ON e.event_id = ?
    LEFT JOIN event_window_bounds w
           ON e.event_id IS NOT NULL AND w."window" IN ('-7..-1', '0..+6')
          AND c.day BETWEEN e.occurred_at + w.day_from AND e.occurred_at + w.day_to
    WHERE c.text IS NOT NULL AND length(trim(c.text)) > 0
      AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.id = c.doc_id)
      AND (? IS NULL OR w."window" IS NOT NULL)
      AND (CAST(? AS DATE) IS NULL OR c.day >= ?)
      AND (CAST(? AS DATE) IS NULL OR c.day <= ?)
"""


@dataclass(frozen=True)
class AuditDraw:
    audit_id: str
    frame_n: int
    items: list[QueueItem]
    resumed: bool = False


class AuditFrameError(ValueError):
    """The frame asked for holds nothing to draw (unknown event, empty dates)."""


def _pending(con: duckdb.DuckDBPyConnection) -> AuditDraw | None:
    """The newest audit with drawn documents not yet labelled, if any."""
    row = con.execute(
        """SELECT a.audit_id, a.frame_n FROM audits a
           WHERE EXISTS (SELECT 1 FROM audit_items i JOIN classified_documents c USING (doc_id)
                         WHERE i.audit_id = a.audit_id
                           AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.id = i.doc_id))
           ORDER BY a.drawn_at DESC, a.audit_id DESC LIMIT 1"""
    ).fetchone()
    if row is None:
        return None
    rows = con.execute(
        """SELECT c.doc_id, c.text, c.thread_title, c.label, c.confidence
           FROM audit_items i JOIN classified_documents c USING (doc_id)
           WHERE i.audit_id = ? AND NOT EXISTS (SELECT 1 FROM labels l WHERE l.id = i.doc_id)
           ORDER BY i.position""", [row[0]]).fetchall()
    return AuditDraw(row[0], row[1], [QueueItem(*r, why="audit") for r in rows], resumed=True)


def draw_audit(con: duckdb.DuckDBPyConnection, n: int, *, seed: int = 0, event_id: str | None = None,
               since: date | None = None, until: date | None = None, resume: bool = True) -> AuditDraw:
    """Draw (and record) a uniform random audit of ``n`` unlabelled classified comments.

    With ``event_id`` the draw is stratified: ``n`` from the week before the event and ``n``
    from the week after, so each window gets its own labels. An audit left half-labelled is
    resumed instead of drawing a new one (unless ``resume`` is false).
    """
    if n <= 0:
        raise AuditFrameError("an audit needs at least one comment (--audit N with N > 0)")
    if resume and (pending := _pending(con)) is not None:
        return pending
    if event_id is not None and con.execute(
            "SELECT count(*) FROM events WHERE event_id = ?", [event_id]).fetchone()[0] == 0:
        raise AuditFrameError(f"no event {event_id!r}: `sentiment events` lists them")
    params = [event_id, event_id, since, since, until, until]
    frame_n = con.execute(f"SELECT count(*) FROM ({_FRAME})", params).fetchone()[0]
    if frame_n == 0:
        raise AuditFrameError("no unlabelled classified comments in that frame: run `sentiment classify`, "
                              "or widen --event/--since/--until")
    drawn_at = utcnow()
    audit_id = f"audit-{drawn_at:%Y%m%dT%H%M%S.%f}-{seed}"  # two draws in one second stay two audits
    rows = con.execute(
        f"""SELECT doc_id, text, thread_title, label, confidence FROM (
                SELECT *, row_number() OVER (PARTITION BY "window"
                                             ORDER BY hash(doc_id || ?), doc_id) AS k
                FROM ({_FRAME})) WHERE k <= ?
            ORDER BY hash(doc_id || ? || 'shown'), doc_id""",
        [f"#audit{seed}", *params, n, f"#audit{seed}"],
    ).fetchall()
    items = [QueueItem(*r, why="audit") for r in rows]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("INSERT INTO audits VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [audit_id, drawn_at, seed, get_meta(con, ACTIVE_MODEL_KEY), event_id, since, until,
                     frame_n, len(items)])
        con.executemany("INSERT INTO audit_items VALUES (?, ?, ?)",
                        [[audit_id, i, item.doc_id] for i, item in enumerate(items)])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return AuditDraw(audit_id, frame_n, items)


def save_audit_label(con: duckdb.DuckDBPyConnection, audit_id: str, item: QueueItem, label: str,
                     *, source: str = "user") -> None:
    """Store a label for an audited comment (``purpose = 'audit'``); ``source`` says who gave it."""
    con.execute(
        "INSERT OR REPLACE INTO labels (id, text, thread_title, label, source, labelled_at, purpose, audit_id) "
        "VALUES (?, ?, ?, ?, ?, ?, 'audit', ?)",
        [item.doc_id, item.text, item.thread_title, label, source, utcnow(), audit_id],
    )


def audit_from_known_labels(con: duckdb.DuckDBPyConnection, n: int, known: dict[str, str], *, seed: int = 0,
                            source: str = "intended") -> int:
    """Draw an audit of ``n`` and label it from ``known`` (doc_id → label) instead of a person:
    the demo's audit, labelled from the stances its threads were written to express. Returns
    the labels stored; drawn comments without a known label stay unlabelled."""
    draw = draw_audit(con, n, seed=seed, resume=False)
    stored = 0
    for item in draw.items:
        if item.doc_id in known:
            save_audit_label(con, draw.audit_id, item, known[item.doc_id], source=source)
            stored += 1
    # drawn comments nobody can label are dropped from the draw, so no audit is left pending
    con.execute("DELETE FROM audit_items WHERE audit_id = ? AND doc_id NOT IN "
                "(SELECT id FROM labels WHERE audit_id = ?)", [draw.audit_id, draw.audit_id])
    con.execute("UPDATE audits SET n_drawn = ? WHERE audit_id = ?", [stored, draw.audit_id])
    return stored


@dataclass(frozen=True)
class AuditState:
    """What the brief and dashboard say about the audit: how many, when, against which model."""

    n_labelled: int
    n_classified: int
    """Audited comments the active model has classified (only these can correct its shares)."""
    first: object | None
    last: object | None
    model_versions: tuple[str, ...]
    """The models active when the audits were drawn."""

    @property
    def exists(self) -> bool:
        return self.n_labelled > 0


def audit_state(con: duckdb.DuckDBPyConnection) -> AuditState:
    """Audit labels stored, when they were made and which models the draws were made under."""
    n, first, last = con.execute(
        "SELECT count(*), min(labelled_at), max(labelled_at) FROM labels WHERE purpose = 'audit'").fetchone()
    classified = con.execute(
        """SELECT count(*) FROM labels l JOIN classified_documents c ON c.doc_id = l.id
           WHERE l.purpose = 'audit'""").fetchone()[0]
    versions = [r[0] for r in con.execute(
        """SELECT DISTINCT a.model_version FROM audits a
           WHERE a.model_version IS NOT NULL
             AND EXISTS (SELECT 1 FROM labels l WHERE l.audit_id = a.audit_id)
           ORDER BY 1""").fetchall()]
    return AuditState(int(n), int(classified), first, last, tuple(versions))


AUDIT_ROWS = """
    SELECT l.id AS doc_id, l.label AS audit_label, c.day, c.source,
           c.p_concern, c.p_skepticism, c.p_support, c.p_neutral
    FROM labels l JOIN classified_documents c ON c.doc_id = l.id
    WHERE l.purpose = 'audit'
"""
"""Every audit label with the active model's probabilities for its comment, its day and source."""
