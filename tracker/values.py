"""Parse one cell into a typed value, or say in plain English why it cannot be."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import Decimal, InvalidOperation

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$")
_UK = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_PENNY = Decimal("0.01")


def cell_text(cell: object) -> str:
    """The cell as stripped text ('' for an empty cell)."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, dt.datetime):
        return cell.isoformat(sep=" ")
    return str(cell).strip()


def parse_date(cell: object) -> dt.date:
    """Accept an Excel date, ``2010-10-31`` or ``31/10/2010`` (day first, as in the UK)."""
    if isinstance(cell, dt.datetime):
        if cell.time() != dt.time(0):
            raise ValueError("is a date and time; give a date only")
        return cell.date()
    if isinstance(cell, dt.date):
        return cell
    text = cell_text(cell)
    match = _ISO.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = _UK.match(text)
        if not match:
            raise ValueError("is not a date; write it as 2010-10-31 or 31/10/2010")
        day, month, year = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError("is not a real calendar date") from None


def parse_count(cell: object) -> int:
    """A count of people: a whole number, zero or more (``1,234`` allowed)."""
    text = cell_text(cell).replace(",", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError("is not a number") from None
    if not number.is_finite():
        raise ValueError("is not a finite number")
    if number != number.to_integral_value():
        raise ValueError("is not a whole number of people")
    if number < 0:
        raise ValueError("is negative; a count of people cannot be")
    if number > 10_000_000:
        raise ValueError("is implausibly large for a count of people")
    return int(number)


def parse_money(cell: object, limit: float) -> Decimal:
    """An amount in pounds: ``12500``, ``12,500.00`` or ``£12,500.00``; zero or more, up to ``limit``."""
    text = cell_text(cell).replace("£", "").replace(",", "").replace(" ", "")
    if text.startswith("(") and text.endswith(")"):
        raise ValueError("is negative (in brackets); amounts spent cannot be")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise ValueError("is not an amount of money") from None
    if not amount.is_finite():
        raise ValueError("is not a finite amount of money")
    if amount < 0:
        raise ValueError("is negative; amounts spent cannot be")
    if amount > Decimal(str(limit)):
        raise ValueError(f"is implausibly large (over £{limit:,.0f})")
    return amount.quantize(_PENNY)


def is_month_end(day: dt.date) -> bool:
    """True for the last day of a month."""
    return day.day == calendar.monthrange(day.year, day.month)[1]


def month_end(day: dt.date) -> dt.date:
    """The last day of the month holding ``day``."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


LAST_PACK_DAYS = 7  # a board pack compares with the pack of a week before, unless told another day


def last_pack_day(as_of: dt.date) -> dt.date:
    """The day a board pack on ``as_of`` compares with, unless told another: a week before."""
    return as_of - dt.timedelta(days=LAST_PACK_DAYS)


def previous_month(as_of: dt.date) -> dt.date:
    """The same day a calendar month earlier (clamped to the month's end): what "since the previous
    month" compares with."""
    return add_months(as_of, -1)


def add_months(day: dt.date, months: int) -> dt.date:
    """Calendar months later, clamped to the month's end (31 Jan + 1 = 28/29 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def uk_date(day: dt.date | None) -> str:
    """``1 Nov 2010``."""
    return "" if day is None else f"{day.day} {day:%b %Y}"


def gbp(amount: float | Decimal | None) -> str:
    """``£12,500``."""
    return "" if amount is None else f"£{amount:,.0f}"


def plural(count: int, one: str, many: str) -> str:
    """``1 person``, ``2 people``."""
    return f"{count:,} {one if count == 1 else many}"
