"""The weekly sentiment brief: Markdown and a self-contained HTML page."""

from sentiment.brief.render import build_brief, last_complete_week, parse_week, write_brief

__all__ = ["build_brief", "last_complete_week", "parse_week", "write_brief"]
