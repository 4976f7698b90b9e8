"""Files for people to download: CSV and Excel that are safe to open, and the blank return template."""

from __future__ import annotations

import io

import pandas as pd

from tracker import contract

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """Text that a spreadsheet would run as a formula gets a leading apostrophe; anything else is unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell neutralised (column names too)."""
    out = df.copy()
    out.columns = [neutralise(str(c)) for c in out.columns]
    for col in out.columns:
        if out[col].dtype == object or pd.api.types.is_string_dtype(out[col]):
            out[col] = out[col].map(neutralise)
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV for download: UTF-8 with a byte-order mark (so Excel shows £ right), formulas neutralised."""
    return safe_frame(df).to_csv(index=False).encode("utf-8-sig")


def template_csv() -> bytes:
    """A blank monthly return: the header row in contract order."""
    return (",".join(contract.names(contract.RETURN_COLUMNS)) + "\n").encode("utf-8-sig")


def template_xlsx() -> bytes:
    """A blank monthly return for Excel, with a second sheet that explains each column."""
    import openpyxl
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Return"
    sheet.append(contract.names(contract.RETURN_COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter, col in zip("ABCDEFGHIJKL", contract.RETURN_COLUMNS, strict=True):
        sheet.column_dimensions[letter].width = max(14, len(col.name) + 2)
    guide = book.create_sheet("Guide")
    guide.append(["column", "required", "unit", "meaning"])
    for col in contract.RETURN_COLUMNS:
        guide.append([col.name, "yes" if col.required else "no", col.unit, col.meaning])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
