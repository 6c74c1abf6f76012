"""The ``sentiment`` command: each pipeline step alone, or all of them on the bundled data.

Thin by design: it parses options, opens the database, shows progress, and calls the library.
This module holds the Typer ``app`` and its global callback (settings, ``--db``, logging); the
commands live in modules grouped by job: ``pipeline`` (ingest, classify, trends, brief, demo),
``models`` (train, eval, classify-file, shares), ``labelling`` (label), ``maintenance`` (doctor,
forget) and ``collect`` (the ``sentiment collect`` sub-app); ``session`` opens the database and
``output`` shows progress and skips.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from sentiment.cli import labelling, maintenance, models, pipeline
from sentiment.cli.collect import collect_app
from sentiment.settings import get_settings

# Tracebacks never show local variables: they hold the author key and settings.
app = typer.Typer(help="Community stance pipeline: collect → store → classify → trends → brief.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_show_locals=False)


@app.callback()
def main(
    ctx: typer.Context,
    db: Annotated[Optional[Path], typer.Option(
        "--db", envvar="SENTIMENT_DB", help="DuckDB file (default data/sentiment.duckdb).")] = None,
) -> None:
    """Community stance pipeline."""
    settings = get_settings()
    ctx.obj = settings.model_copy(update={"db": db}) if db else settings
    _configure_logging(settings.log_level)


class _StderrHandler(logging.StreamHandler):
    """Log records on whatever ``sys.stderr`` is when they are written (test runners swap it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def _configure_logging(level: str) -> None:
    """The library's log (logger ``sentiment``) on stderr at ``level`` (``SENTIMENT_LOG_LEVEL``)."""
    logger = logging.getLogger("sentiment")
    if not any(isinstance(h, _StderrHandler) for h in logger.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
    try:
        logger.setLevel(level.upper())
    except ValueError:
        raise typer.BadParameter(f"unknown log level {level!r}; use DEBUG, INFO, WARNING or ERROR",
                                 param_hint="SENTIMENT_LOG_LEVEL") from None


# Registered in this order, which is the order `sentiment --help` lists them in.
for command in (pipeline.ingest, pipeline.classify, pipeline.trends, pipeline.brief, pipeline.demo, models.train):
    app.command()(command)
app.command("eval")(models.evaluate)
app.command("classify-file")(models.classify_file)
for command in (models.shares, labelling.label, maintenance.doctor, maintenance.forget):
    app.command()(command)
app.add_typer(collect_app, name="collect")
