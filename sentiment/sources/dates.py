"""Dates as pages state them: ISO 8601, epoch seconds, ``19.03.2019 11:45``, ``January 16, 2020``,
German and French month names; read as naive UTC and kept only when plausible.

Its own module because both the page extraction (:mod:`sentiment.sources.page`) and the readers'
comments (:mod:`sentiment.sources.voices`) read dates, and the extraction calls the comments.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

_TZ = {"UTC": 0, "GMT": 0, "Z": 0, "CET": 1, "CEST": 2, "MEZ": 1, "MESZ": 2, "BST": 1, "EET": 2, "EEST": 3,
       "WET": 0, "WEST": 1, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8,
       "PDT": -7, "IST": 5.5, "JST": 9, "KST": 9, "AEST": 10, "AEDT": 11}
_TZINFOS = {name: int(hours * 3600) for name, hours in _TZ.items()}
_HAS_TIME = re.compile(r"\d{1,2}:\d{2}")
_EPOCH = re.compile(r"^\d{10}(\d{3})?$")


def parse_stated(value: object) -> datetime | None:
    """A date as a page states it (ISO 8601 with or without zone, epoch seconds or milliseconds,
    ``19.03.2019 11:45``, ``January 16, 2020``, ``Tue Jan 28 15:28:56 CET 2020``) as naive UTC;
    None unless it names a day. A stated zone is honoured; none means UTC; a bare date is noon."""
    if not isinstance(value, str):
        return None
    value = value.strip()
    if len(value) < 8 or len(value) > 64:
        return None
    if _EPOCH.match(value):
        seconds = int(value) / (1000 if len(value) == 13 else 1)
        found = datetime.fromtimestamp(seconds, timezone.utc).replace(tzinfo=None, microsecond=0)
        return found if plausible(found) else None
    found = None
    try:
        found = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        found = parse_loose(value)
    if found is None:
        return None
    if found.tzinfo is not None:
        found = found.astimezone(timezone.utc).replace(tzinfo=None)
    if not _HAS_TIME.search(value):
        found = found.replace(hour=12, minute=0, second=0, microsecond=0)
    found = found.replace(microsecond=0)
    return found if plausible(found) else None


_MONTHS = {
    "januar": "January", "jänner": "January", "februar": "February", "märz": "March", "maerz": "March",
    "mai": "May", "juni": "June", "juli": "July", "oktober": "October", "dezember": "December",
    "janvier": "January", "février": "February", "fevrier": "February", "mars": "March", "avril": "April",
    "juin": "June", "juillet": "July", "août": "August", "aout": "August", "septembre": "September",
    "octobre": "October", "novembre": "November", "décembre": "December",
}
_MONTH_WORDS = re.compile(r"\b(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\b", re.I)
_FILLER = re.compile(r"\s(?:um|at|à|@|/|-)\s|\sUhr\b|^\w+,\s", re.I)


def parse_loose(value: str) -> datetime | None:
    """dateutil's reading, accepted only when the day itself is stated (two different defaults
    give the same day) so "2019-06" or "June 2019" are not dates. German and French month names
    and the words around a time ("um 15:28 Uhr", "@ 11:38") are read too."""
    from dateutil import parser

    value = _MONTH_WORDS.sub(lambda m: _MONTHS[m.group(1).lower()], value)
    value = _FILLER.sub(" ", value).strip()
    dayfirst = bool(re.match(r"^\d{1,2}[./]", value))
    try:
        one = parser.parse(value, dayfirst=dayfirst, tzinfos=_TZINFOS, default=datetime(2000, 1, 1))
        two = parser.parse(value, dayfirst=dayfirst, tzinfos=_TZINFOS, default=datetime(2001, 2, 2))
    except (ValueError, OverflowError, TypeError, parser.ParserError):
        return None
    if (one.year, one.month, one.day) != (two.year, two.month, two.day):
        return None
    return one


def plausible(when: datetime) -> bool:
    """Whether a date could be an article's: from 1990 to two days from now."""
    return datetime(1990, 1, 1) <= when <= datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(days=2)
