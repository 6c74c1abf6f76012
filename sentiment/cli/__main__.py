"""``python -m sentiment.cli``: the ``sentiment`` command."""

from sentiment.cli import app

app()
