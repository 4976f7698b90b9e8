"""Problems found in input files, and the errors the package raises for users."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file, located as precisely as we can."""

    file: str
    message: str
    row: int | None = None  # spreadsheet row: the header is row 1
    column: str | None = None
    value: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        text = ", ".join(where) + ": "
        if self.value is not None:
            text += f"value {shorten(self.value)!r}: "
        return text + self.message


def shorten(text: str, limit: int = 60) -> str:
    """Cut a long value for display, saying how long it was."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


class TrackerError(Exception):
    """An error meant for the user: its message is shown as it is, no traceback."""


class StoreBusy(TrackerError):
    """The database stayed locked by another program for longer than we wait."""


class StoreUnreachable(TrackerError):
    """The shared store's catalog (PostgreSQL) does not answer; nothing was changed."""


class FileRefused(TrackerError):
    """A file failed validation; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
