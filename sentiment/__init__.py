"""Community stance pipeline: sources -> store -> classify -> trends -> brief."""

__version__ = "0.1.0"
