"""The collect flow's sources: ``sentiment.toml``, one table array per source kind.

    [[reddit]]
    name = "localllama-qwen"
    subreddit = "LocalLLaMA"
    query = "qwen"

    [[files]]
    name = "bundled"
    paths = ["seeds"]

Every entry needs a unique ``name`` (it names the Prefect task run and the ``runs`` notes); the
other keys are the options of ``sentiment collect KIND`` (its params dataclass: an unknown key is
refused here, before anything runs) and are passed to the collector as-is.
Relative ``paths`` are read relative to the file, so the config works from any directory.

Credentials are refused here (``client_secret``, ``password``, ``token`` ...): the options become
Prefect task parameters and ``runs`` notes, so Reddit's belong in ``praw.ini``, where praw reads
them itself.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from sentiment.collect import KINDS, params_for
from sentiment.redact import is_secret_param

_CREDENTIAL_KEYS = {"client_id", "username", "user", "refresh_token"}


class SourcesError(ValueError):
    """The sources file is missing or malformed; the message says where."""


@dataclass(frozen=True)
class SourceSpec:
    """One configured source: which collector, a name for logs, and the collector's options."""

    kind: str
    name: str
    params: dict = field(default_factory=dict)


def load_sources(path: str | Path) -> list[SourceSpec]:
    """Read and check ``path``; sources come back in file order, kind by kind."""
    path = Path(path)
    try:
        body = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourcesError(f"no sources file at {path} (set SENTIMENT_SOURCES or create sentiment.toml)") from None
    except tomllib.TOMLDecodeError as exc:
        raise SourcesError(f"{path}: not valid TOML: {exc}") from None
    unknown = sorted(set(body) - set(KINDS))
    if unknown:
        raise SourcesError(f"{path}: unknown source kind(s) {', '.join(unknown)}; use {', '.join(KINDS)}")
    specs: list[SourceSpec] = []
    seen: set[str] = set()
    for kind in KINDS:
        entries = body.get(kind, [])
        if not isinstance(entries, list):
            raise SourcesError(f"{path}: [{kind}] must be a table array, written [[{kind}]]")
        for i, entry in enumerate(entries, 1):
            params = dict(entry)
            name = params.pop("name", None)
            if not isinstance(name, str) or not name.strip():
                raise SourcesError(f"{path}: [[{kind}]] entry {i} needs a name")
            if name in seen:
                raise SourcesError(f"{path}: source name {name!r} is used twice")
            seen.add(name)
            secret = sorted(k for k in params if k.lower() in _CREDENTIAL_KEYS or is_secret_param(k))
            if secret:
                raise SourcesError(f"{path}: {name}: credentials do not belong in the sources file "
                                   f"({', '.join(secret)}); Reddit's go in praw.ini (see README)")
            if "paths" in params:
                if not isinstance(params["paths"], list):
                    raise SourcesError(f"{path}: {name}: paths must be a list")
                params["paths"] = [str((path.parent / p).resolve()) if not Path(p).is_absolute() else p
                                   for p in params["paths"]]
            try:
                params_for(kind, params)
            except ValueError as exc:
                raise SourcesError(f"{path}: {name}: {exc}") from None
            specs.append(SourceSpec(kind, name, params))
    return specs
