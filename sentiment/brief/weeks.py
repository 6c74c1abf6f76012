"""ISO weeks as the brief names them (``2026-W10``): parsing, naming, the last complete one."""

from __future__ import annotations

import re
from datetime import date, timedelta

_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


def parse_week(week: str) -> tuple[date, date]:
    """Monday and Sunday of an ISO week written ``YYYY-Www``."""
    match = _WEEK.match(week.strip())
    if not match:
        raise ValueError(f"week must look like 2026-W10, not {week!r}")
    monday = date.fromisocalendar(int(match.group(1)), int(match.group(2)), 1)
    return monday, monday + timedelta(days=6)


def week_name(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def last_complete_week(today: date | None = None) -> str:
    """The most recent ISO week that has ended."""
    today = today or date.today()
    return week_name(today - timedelta(days=today.isoweekday()))
