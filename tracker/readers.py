"""Read CSV and Excel files as offices send them into plain rows of cells."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from tracker.errors import FileRefused, Problem

XLSX_MAGIC = b"PK\x03\x04"


@dataclass
class Table:
    """Cells of a file: normalised header names and data rows.

    Each data row keeps its spreadsheet row number (the header is row 1).
    Cells are strings, or date/number objects when they came from Excel.
    """

    file: str
    header: list[str]
    rows: list[tuple[int, list[object]]]


def normalise_header(name: object) -> str:
    """``' Site Code '`` -> ``'site_code'``: case, spaces and BOMs do not matter."""
    text = "" if name is None else str(name)
    text = text.replace("\ufeff", "").strip().lower()
    return "_".join(text.replace("-", " ").split())


def decode(data: bytes) -> str:
    """Decode CSV bytes as UTF-8 (with or without BOM), else Windows-1252."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_table(name: str, data: bytes) -> Table:
    """Read a CSV or .xlsx file (told apart by content, not by name)."""
    if not data:
        raise FileRefused([Problem(name, "the file is empty (0 bytes)")])
    if data.startswith(XLSX_MAGIC) or Path(name).suffix.lower() in {".xlsx", ".xlsm"}:
        return _read_xlsx(name, data)
    return _read_csv(name, data)


def _read_csv(name: str, data: bytes) -> Table:
    text = decode(data)
    if "\x00" in text:
        raise FileRefused([Problem(name, "this is not a CSV text file (it contains binary data)")])
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise FileRefused([Problem(name, f"the CSV file cannot be read: {exc}")]) from None
    return _table(name, lines)


# An .xlsx is a zip: refuse one that would unpack to more than this (a "zip bomb"), or to too many parts.
MAX_UNPACKED_BYTES = 200_000_000
MAX_ZIP_MEMBERS = 1_000


def _check_zip(name: str, data: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise FileRefused(
            [Problem(name, f"this is not a readable Excel (.xlsx) file ({type(exc).__name__})")]
        ) from None
    unpacked = sum(m.file_size for m in members)
    if len(members) > MAX_ZIP_MEMBERS or unpacked > MAX_UNPACKED_BYTES:
        raise FileRefused(
            [
                Problem(
                    name,
                    f"the Excel file would unpack to {unpacked:,} bytes in {len(members):,} parts; "
                    f"the limit is {MAX_UNPACKED_BYTES:,} bytes",
                )
            ]
        )


def _read_xlsx(name: str, data: bytes) -> Table:
    # Imported here: openpyxl is only needed for Excel files.
    import openpyxl

    _check_zip(name, data)
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError) as exc:
        raise FileRefused(
            [Problem(name, f"this is not a readable Excel (.xlsx) file ({type(exc).__name__})")]
        ) from None
    try:
        sheet = book.worksheets[0]
        lines = [[_xlsx_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    except Exception as exc:  # noqa: BLE001 - any failure inside a corrupt workbook is the file's fault
        raise FileRefused(
            [Problem(name, f"the Excel file is damaged and cannot be read ({type(exc).__name__})")]
        ) from None
    finally:
        book.close()
    return _table(name, lines)


def _xlsx_cell(value: object) -> object:
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time(0) else value
    return value


def _is_blank(cell: object) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _table(name: str, lines: list[list[object]]) -> Table:
    numbered = [(i + 1, line) for i, line in enumerate(lines) if not all(_is_blank(c) for c in line)]
    if not numbered:
        raise FileRefused([Problem(name, "the file has no header row and no data")])
    _, header = numbered[0]
    names = [normalise_header(h) for h in header]
    rows = [(n, list(line)) for n, line in numbered[1:]]
    if not rows:
        raise FileRefused([Problem(name, "the file has a header row but no data rows")])
    return Table(name, names, rows)
