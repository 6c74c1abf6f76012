"""Local input files: which files a list of paths names, and what each holds.

Recognised inputs: article files (``.txt``, ``.html``) with an optional ``articles.yaml`` beside
them, Reddit ``/comments/{id}`` bodies and Algolia HN item bodies (``.json``), and events files
(``.yaml`` with an ``events`` list). This module only finds and parses them: storing them is
:mod:`sentiment.collect.files` (``sentiment ingest`` and ``sentiment collect files``).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import yaml

from sentiment.events import is_events_body, parse_events
from sentiment.records import Parsed
from sentiment.sources import ParseError, SnapshotFolder, hn, reddit, web

ARTICLE_SUFFIXES = (".txt", ".html", ".htm")
SUFFIXES = (*ARTICLE_SUFFIXES, ".json", ".yaml", ".yml")
DEFAULT_MAX_BYTES = web.DEFAULT_MAX_BYTES


def missing_paths(paths: Iterable[str | Path]) -> list[str]:
    """The given paths that are neither a file nor a folder (a command refuses to start on them)."""
    return [str(p) for p in paths if not Path(p).exists()]


def first_readable(paths: Iterable[str | Path]) -> Path | None:
    """The first input file that parses, or None when none does: a command that would create a
    database checks this first, so unreadable input creates nothing."""
    files, _ = input_files(paths)
    for path in files:
        try:
            parse_file(path)
        except Exception:  # noqa: BLE001 - any unreadable input is reported by the run itself
            continue
        return path
    return None


def input_files(paths: Iterable[str | Path]) -> tuple[list[Path], dict[str, str]]:
    """Input files in a stable order: folders are walked for known suffixes, hidden files ignored;
    and the paths that do not exist, with the reason."""
    files: list[Path] = []
    missing: dict[str, str] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(
                p for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix.lower() in SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        elif path.is_file():
            files.append(path)
        else:
            missing[str(path)] = "no such file or folder"
    return files, missing


def parse_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Parsed:
    """Parse one input file by its suffix and content; raises ParseError if it is not recognised
    (or if it is an article larger than ``max_bytes``, the ``page_max_bytes`` setting)."""
    suffix = path.suffix.lower()
    if suffix in ARTICLE_SUFFIXES:
        meta = web.load_metadata(path.parent).get(path.name)
        return web.parse_article_file(path, meta, max_bytes=max_bytes)
    if suffix == ".json":
        body = SnapshotFolder(path.parent).body(path.stem)  # a saved API body, as the live client gets it
        if reddit.is_thread_body(body):
            return reddit.parse_thread(body)
        if hn.is_item_body(body):
            return hn.parse_item(body)
        raise ParseError("JSON is neither a Reddit /comments body nor an Algolia HN item")
    if suffix in (".yaml", ".yml"):
        body = yaml.safe_load(path.read_text(encoding="utf-8"))
        if is_events_body(body):
            return parse_events(body)
        if path.name == web.METADATA_FILE:
            return Parsed()  # read by the article parser
        raise ParseError("YAML is not an events file (no 'events' list)")
    raise ParseError(f"unsupported file type {suffix or '(none)'}")
