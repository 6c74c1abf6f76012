"""What a run skipped and why: a count per reason and the first few skipped items of each by name.

One type for every carrier of skips: a parser's :class:`sentiment.records.Parsed`, a collect run's
report, the files collector's report, the dump importer, and a run's ``runs`` row
(:class:`sentiment.store.runs.RunStats`, which stores the counts as ``skipped`` and the names as
``skipped_ids`` in its notes). Each carrier holds a :class:`Skips` and hands it on with
:meth:`Skips.merge`, so the limit on names and the order of reasons are kept in one place.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

MAX_EXAMPLES = 5
"""How many skipped items (ids, file lines) a report names per reason: enough to find them."""

DUPLICATE = "exact duplicate"
"""Skip reason of a document given twice to one upsert: it was read (``n_in``) and skipped."""

EXPECTED_SKIPS: tuple[str, ...] = (
    "'continue this thread' stub not expanded",
    "comments behind a 'more' stub not expanded",
    DUPLICATE,
    "older than the last run's watermark (listing stopped)",
    "article already stored",
    "same article text already stored at another URL",
    "same canonical URL already collected in this run",
    "earlier failure waiting for its next attempt (spaced retries)",
    "earlier failure given up (permanent; --retry-given-up tries it again)",
)
"""Skip reasons that are normal and repeat on every run of the same source (stubs a saved
snapshot cannot expand, duplicates, what an earlier run stored): a scheduled run reports them in
one summary line, not as warnings every hour."""


def is_expected_skip(reason: str) -> bool:
    """Whether ``reason`` is one of :data:`EXPECTED_SKIPS` (nothing to act on)."""
    return reason in EXPECTED_SKIPS


@dataclass(slots=True)
class Skips:
    """Skipped items: ``counts`` per reason (in the order the reasons first came) and
    ``examples``, the first :data:`MAX_EXAMPLES` items per reason by name (doc ids, URLs,
    ``FILE:LINE``)."""

    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, reason: str, item: str | None = None, count: int = 1) -> None:
        """Count ``count`` skipped items for ``reason``, naming ``item`` when it has a name."""
        self.counts[reason] += count
        if item is not None:
            self.note(reason, item)

    def note(self, reason: str, item: str) -> None:
        """Name ``item`` as an example of ``reason`` without counting it (items counted in bulk)."""
        found = self.examples.setdefault(reason, [])
        if len(found) < MAX_EXAMPLES and item not in found:
            found.append(item)

    def merge(self, other: Skips) -> None:
        """Add ``other``'s counts and examples (keeping the per-reason limit)."""
        self.counts.update(other.counts)
        for reason, found in other.examples.items():
            for item in found:
                self.note(reason, item)

    @property
    def total(self) -> int:
        """Every skipped item, whatever its reason."""
        return sum(self.counts.values())


class HasSkips:
    """Base of a carrier that holds a :class:`Skips` as ``skips``: reads it as ``skipped`` (the
    counts per reason) and ``examples`` (the names per reason), as reports always have."""

    __slots__ = ()
    skips: Skips

    @property
    def skipped(self) -> Counter[str]:
        """Skipped items per reason."""
        return self.skips.counts

    @property
    def examples(self) -> dict[str, list[str]]:
        """The first few skipped items per reason, by name."""
        return self.skips.examples
