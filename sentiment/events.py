"""Events from YAML: the dates trend windows are drawn around."""

from __future__ import annotations

from datetime import date
from typing import Any

from sentiment.records import Event, Parsed
from sentiment.sources import ParseError


def is_events_body(body: Any) -> bool:
    """Whether decoded YAML is an events file (a top-level ``events`` list)."""
    return isinstance(body, dict) and isinstance(body.get("events"), list)


def parse_events(body: Any) -> Parsed:
    """Events with id, name, date, description and keywords; an incomplete entry is skipped."""
    if not is_events_body(body):
        raise ParseError("expected a YAML mapping with an 'events' list")
    parsed = Parsed()
    for entry in body["events"]:
        if not isinstance(entry, dict) or not entry.get("id") or not entry.get("name"):
            parsed.skip("event without id or name")
            continue
        when = entry.get("date")
        if isinstance(when, str):
            try:
                when = date.fromisoformat(when)
            except ValueError:
                when = None
        if not isinstance(when, date):
            parsed.skip("event without a valid date (YYYY-MM-DD)")
            continue
        keywords = entry.get("keywords") or []
        parsed.events.append(Event(
            event_id=str(entry["id"]), name=str(entry["name"]), occurred_at=when,
            description=str(entry.get("description") or "").strip(),
            keywords=[str(k) for k in keywords] if isinstance(keywords, list) else [str(keywords)],
        ))
    return parsed
