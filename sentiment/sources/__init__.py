"""Sources: each turns what an API or file returns into Document records.

A source has one parser shared by its live client and its snapshot client, so the bundled
snapshots exercise exactly the code that reads live responses.
"""

class ParseError(ValueError):
    """The input is not in the shape this parser reads; the message says what was expected."""
