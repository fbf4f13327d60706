"""crosscheck: verify claims against a corpus of articles, source by source."""

__version__ = "0.1.0"
