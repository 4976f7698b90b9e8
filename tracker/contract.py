"""The data contract: every column of the site register and of a monthly return.

This module is the single source of truth for column names, kinds, units and
periods. Validation, the blank return template and ``docs/returns.md`` (checked
by a test) all follow it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["text", "code", "date", "count", "money", "list", "email"]


@dataclass(frozen=True)
class Column:
    """One column of an input file."""

    name: str
    kind: Kind
    required: bool
    unit: str
    meaning: str


REGISTER_COLUMNS: tuple[Column, ...] = (
    Column("site_code", "code", True, "ODS code", "Unique code of the site (the PCT's ODS code)."),
    Column("site_name", "text", True, "text", "Name of the site as the programme knows it."),
    Column("region", "text", True, "region", "Strategic health authority region, from the list in tracker.toml."),
    Column("cohort", "text", True, "`in-depth` or `wider`", "In the in-depth evaluation, or the wider programme."),
    Column(
        "care_groups",
        "list",
        True,
        "`;`-separated list",
        "Care groups the site offers budgets to, from the list in tracker.toml.",
    ),
    Column(
        "direct_payments_from",
        "date",
        False,
        "date",
        "Date the site was authorised to offer direct payments; empty if never.",
    ),
    Column("go_live", "date", True, "date", "Date recruitment opened."),
    Column("recruitment_target", "count", True, "people", "People the site aims to have recruited by `target_date`."),
    Column("target_date", "date", True, "date", "Date by which the site aims to reach its recruitment target."),
    Column(
        "dh_funding_gbp", "money", True, "£ (GBP), whole programme", "Department of Health funding granted to the site."
    ),
    Column(
        "withdrawn_on", "date", False, "date", "Date the site left the programme or merged; empty while it takes part."
    ),
    Column("contact_name", "text", False, "text", "Person to chase for returns."),
    Column("contact_email", "email", False, "e-mail address", "Their e-mail address."),
)

RETURN_COUNT_COLUMNS: tuple[str, ...] = (
    "people_offered",
    "people_recruited",
    "care_plans_agreed",
    "budgets_notional",
    "budgets_third_party",
    "budgets_direct_payment",
)
RETURN_MONEY_COLUMNS: tuple[str, ...] = ("spend_care_gbp", "spend_infrastructure_gbp")

_CUMULATIVE = "people, cumulative as at period end"
_IN_MONTH = "£ (GBP), spent within the month"

RETURN_COLUMNS: tuple[Column, ...] = (
    Column("site_code", "code", True, "ODS code", "The site sending the return; must be in the register."),
    Column("period_end", "date", True, "date (last day of a month)", "The month the return covers."),
    Column("people_offered", "count", True, _CUMULATIVE, "People offered a personal health budget."),
    Column("people_recruited", "count", True, _CUMULATIVE, "People who agreed to take part."),
    Column("care_plans_agreed", "count", True, _CUMULATIVE, "People with an agreed care plan."),
    Column("budgets_notional", "count", True, _CUMULATIVE, "People with a budget in place held notionally by the PCT."),
    Column("budgets_third_party", "count", True, _CUMULATIVE, "People with a budget in place held by a third party."),
    Column(
        "budgets_direct_payment", "count", True, _CUMULATIVE, "People with a budget in place paid as a direct payment."
    ),
    Column("spend_care_gbp", "money", True, _IN_MONTH, "Spent on people's care and support from their budgets."),
    Column(
        "spend_infrastructure_gbp",
        "money",
        True,
        _IN_MONTH,
        "Spent on infrastructure: staff, training, systems, brokerage.",
    ),
    Column("submitted_on", "date", False, "date", "Date the site sent the return; empty if not known."),
    Column("commentary", "text", False, "free text", "The site's own notes on the month."),
)


def required(columns: tuple[Column, ...]) -> list[str]:
    """Names of the required columns."""
    return [c.name for c in columns if c.required]


def names(columns: tuple[Column, ...]) -> list[str]:
    """Names of all columns, in contract order."""
    return [c.name for c in columns]
