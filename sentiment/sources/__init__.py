"""Sources: each turns what an API or file returns into Document records.

A source has one parser shared by its live client and its snapshot client, so the bundled
snapshots exercise exactly the code that reads live responses.
"""

import json
from pathlib import Path
from typing import Any


class SnapshotFolder:
    """Saved API response bodies, one ``<id>.json`` per thread: the offline twin of a live client."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def ids(self) -> list[str]:
        """The ids of the saved threads, sorted."""
        return sorted(p.stem for p in self.root.glob("*.json"))

    def body(self, thread_id: str) -> Any:
        """The decoded body saved for ``thread_id``, exactly as the API returned it."""
        return json.loads((self.root / f"{thread_id}.json").read_text(encoding="utf-8"))


class ParseError(ValueError):
    """The input is not in the shape this parser reads; the message says what was expected."""
