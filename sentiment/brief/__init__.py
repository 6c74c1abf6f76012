"""The weekly sentiment brief: Markdown and a self-contained HTML page.

``weeks`` names ISO weeks, ``data`` gathers one week's figures (SQL, statistics), ``render``
writes them through the templates."""

from sentiment.brief.data import brief_options, build_brief
from sentiment.brief.render import write_brief
from sentiment.brief.weeks import last_complete_week, parse_week

__all__ = ["brief_options", "build_brief", "last_complete_week", "parse_week", "write_brief"]
