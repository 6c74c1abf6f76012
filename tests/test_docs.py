"""The README cannot drift from the code (sqlite-utils' ``test_docs`` style): every setting's
environment variable is documented, and the Layout block names every module of the package and of
``flows/`` and nothing that does not exist. (Every command is checked in ``test_cli.py``.)"""

from __future__ import annotations

import re
from pathlib import Path

from sentiment.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _layout_block() -> list[str]:
    return README.split("## Layout", 1)[1].split("```", 2)[1].splitlines()


def _layout_modules() -> set[str]:
    """The ``sentiment/...py`` paths the Layout block names: a ``name/`` entry at two spaces opens a
    package, its continuation lines (deeper) list its modules; a ``name.py`` entry (or one in its
    description) is a top-level module. The block ends at the first line that is not indented."""
    lines = _layout_block()
    start = next(i for i, line in enumerate(lines) if line.startswith("sentiment/"))
    found: set[str] = set()
    package = ""
    for line in lines[start + 1:]:
        if line and not line.startswith(" "):
            break
        entry = re.match(r"^  (\S+)", line)
        if entry:
            package = entry.group(1) if entry.group(1).endswith("/") else ""
        for name in re.findall(r"\b([a-z_]+\.py)\b", line):
            found.add(f"sentiment/{package}{name}")
    return found


def test_every_setting_is_documented_in_the_readme():
    missing = [f"SENTIMENT_{name.upper()}" for name in Settings.model_fields
               if f"SENTIMENT_{name.upper()}" not in README]
    assert missing == []


def test_layout_names_only_modules_that_exist():
    named = _layout_modules()
    assert named and sorted(p for p in named if not (ROOT / p).is_file()) == []


def test_layout_names_every_module():
    named = _layout_modules()
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "sentiment").rglob("*.py") if p.name != "__init__.py"}
    assert sorted(modules - named) == []


def _layout_flows() -> set[str]:
    """The ``flows/...py`` paths the Layout block's ``flows/`` entry (and its continuation) names."""
    lines = _layout_block()
    start = next(i for i, line in enumerate(lines) if line.startswith("flows/"))
    entry = [lines[start]]
    for line in lines[start + 1:]:
        if not line.startswith(" "):
            break
        entry.append(line)
    return {f"flows/{name}" for line in entry for name in re.findall(r"\b([a-z_]+\.py)\b", line)}


def test_layout_names_every_flow_module_and_only_those():
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "flows").glob("*.py") if p.name != "__init__.py"}
    assert sorted(_layout_flows() ^ modules) == []
