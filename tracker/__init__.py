"""The pilot-site tracker: returns store, flags and board pack for a pilot programme."""

__version__ = "0.1.0"
