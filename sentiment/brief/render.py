"""A :class:`~sentiment.brief.data.Brief` rendered as Markdown and self-contained HTML.

Comment text is untrusted: the HTML template autoescapes everything, links pass only when they
are http(s), charts are PNGs (no untrusted text in markup), and the Markdown output escapes HTML
so a renderer cannot execute it either.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from sentiment.brief.data import COLORS, Brief
from sentiment.insight.trends import AFTER, BEFORE
from sentiment.settings import LABELS


def _pct(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{100 * value:.{digits}f}%"


def _pp(value: float | None) -> str:
    return "–" if value is None else f"{value:+.1f} pp"


_MD_ACTIVE = re.compile(r"([\\`*_\[\]|])")


def _md_escape(value: object) -> str:
    """Markdown-safe inline text: HTML escaped, line breaks neutralised, and the characters that
    make links, images, emphasis, code or table cells (``[ ] \\ ` * _ |``) backslash-escaped, so
    ``[x](javascript:…)`` in a comment stays text in any Markdown renderer."""
    text = re.sub(r"\s+", " ", html.escape(str(value), quote=False)).strip()
    return _MD_ACTIVE.sub(r"\\\1", text)


def _safe_url(value: str | None) -> str | None:
    """Only http(s) links reach the page: ``javascript:`` and other schemes are dropped."""
    if value and re.match(r"^https?://", value.strip(), re.IGNORECASE):
        return value.strip()
    return None


def _md_url(value: str) -> str:
    """A URL inside a Markdown ``<…>`` link: angle brackets and spaces percent-encoded."""
    return value.replace("<", "%3C").replace(">", "%3E").replace(" ", "%20").replace("\n", "")


def _environment(autoescape: bool) -> Environment:
    env = Environment(loader=PackageLoader("sentiment.brief", "templates"), autoescape=autoescape,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(pct=_pct, pp=_pp, md=_md_escape, safe_url=_safe_url, md_url=_md_url)
    env.globals.update(LABELS=LABELS, BEFORE=BEFORE, AFTER=AFTER, COLORS=COLORS)
    return env


def write_brief(brief: Brief, out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``<week>.md`` (with its chart PNGs beside it) and a self-contained ``<week>.html``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    md_path, html_path = out / f"{brief.week}.md", out / f"{brief.week}.html"
    for key, png in brief.charts.items():  # the Markdown links these; the HTML embeds them
        (out / brief.chart_file(key)).write_bytes(png)
    md_path.write_text(_environment(False).get_template("brief.md.j2").render(b=brief), encoding="utf-8")
    html_path.write_text(_environment(True).get_template("brief.html.j2").render(b=brief), encoding="utf-8")
    return md_path, html_path
