"""The 70 sites of the demo programme.

The first block are sites named in public sources about the 2009-2012 personal
health budget pilots (see ../shared/domain.md): real names, ODS codes and SHA
regions. The second block are other real primary care trusts chosen to make up
70 sites with seven in every region; that they took part is illustrative.
Every target, date, amount and figure of any site is illustrative.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

D = dt.date
FIRST_WAVE_DP = D(2010, 7, 1)  # direct payments lawful in authorised pilots from summer 2010


@dataclass(frozen=True)
class SiteSeed:
    """A site's fixed facts before the generator adds the illustrative ones."""

    code: str
    name: str
    region: str
    care_groups: str
    in_depth: bool = False
    direct_payments_from: dt.date | None = None
    named: bool = True  # named in public sources as a pilot site


NE, NW, YH, EM, WM = "North East", "North West", "Yorkshire and the Humber", "East Midlands", "West Midlands"
EE, LO, SEC, SC, SW = "East of England", "London", "South East Coast", "South Central", "South West"

NAMED = (
    SiteSeed("5A4", "NHS Havering", LO, "diabetes;COPD;stroke", True, D(2010, 12, 1)),
    SiteSeed("5QK", "NHS Wiltshire", SW, "cardiac;stroke", True),
    SiteSeed("5QE", "NHS Oxfordshire", SC, "continuing healthcare", True, FIRST_WAVE_DP),
    SiteSeed("5EM", "NHS Nottingham City", EM, "neurological", True),
    SiteSeed("5QM", "NHS Dorset", SW, "continuing healthcare;long-term conditions", True, D(2011, 4, 1)),
    SiteSeed(
        "5H1",
        "NHS Hammersmith and Fulham with NHS Kensington and Chelsea",
        LO,
        "continuing healthcare;long-term conditions",
        True,
        FIRST_WAVE_DP,
    ),
    SiteSeed("5LC", "NHS Westminster", LO, "continuing healthcare;mental health", True, FIRST_WAVE_DP),
    SiteSeed("5K8", "NHS Islington", LO, "mental health;long-term conditions", True, FIRST_WAVE_DP),
    SiteSeed("5K7", "NHS Camden", LO, "mental health", False, D(2011, 2, 1)),
    SiteSeed("5LD", "NHS Lambeth", LO, "mental health;learning disabilities"),
    SiteSeed("5QC", "NHS Hampshire", SC, "continuing healthcare;end of life", True),
    SiteSeed("5NE", "NHS Cumbria", NW, "long-term conditions;COPD"),
    SiteSeed("5NT", "NHS Manchester", NW, "continuing healthcare;mental health", True, D(2011, 1, 1)),
    SiteSeed("5J4", "NHS Knowsley", NW, "continuing healthcare;long-term conditions", True, FIRST_WAVE_DP),
    SiteSeed("5NL", "NHS Liverpool", NW, "continuing healthcare", False, FIRST_WAVE_DP),
    SiteSeed("5NJ", "NHS Sefton", NW, "continuing healthcare", False, FIRST_WAVE_DP),
    SiteSeed("5PQ", "NHS Norfolk", EE, "continuing healthcare;end of life", True, D(2011, 3, 1)),
    SiteSeed("TAL", "Torbay Care Trust", SW, "continuing healthcare;long-term conditions", True),
    SiteSeed("5QL", "NHS Somerset", SW, "continuing healthcare;end of life", True, FIRST_WAVE_DP),
    SiteSeed("5N3", "NHS Wakefield District", YH, "long-term conditions;mental health"),
    SiteSeed("5NX", "NHS Hull", YH, "mental health;substance misuse"),
    SiteSeed("5N5", "NHS Doncaster", YH, "continuing healthcare;mental health", True, FIRST_WAVE_DP),
    SiteSeed("5PD", "NHS Northamptonshire", EM, "continuing healthcare;diabetes", True),
    SiteSeed("5KM", "NHS Middlesbrough", NE, "long-term conditions;COPD", True),
    SiteSeed("5QR", "NHS Redcar and Cleveland", NE, "long-term conditions"),
    SiteSeed("5QA", "NHS Eastern and Coastal Kent", SEC, "continuing healthcare;stroke", True, FIRST_WAVE_DP),
    SiteSeed("5P9", "NHS West Kent", SEC, "continuing healthcare"),
    SiteSeed("5L3", "NHS Medway", SEC, "long-term conditions;maternity"),
    SiteSeed("5P6", "NHS West Sussex", SEC, "continuing healthcare;end of life", True, FIRST_WAVE_DP),
    # Public sources say only "a Birmingham PCT"; which one is illustrative.
    SiteSeed("5PG", "NHS Birmingham East and North", WM, "long-term conditions;diabetes", True),
)

ILLUSTRATIVE = tuple(
    SiteSeed(code, name, region, groups, named=False, direct_payments_from=dp)
    for code, name, region, groups, dp in (
        ("5D7", "Newcastle PCT", NE, "mental health;end of life", None),
        ("5KF", "NHS Gateshead", NE, "continuing healthcare", None),
        ("5KG", "NHS South Tyneside", NE, "COPD;long-term conditions", None),
        ("5KL", "Sunderland Teaching PCT", NE, "mental health", D(2011, 6, 1)),
        ("5ND", "NHS County Durham", NE, "continuing healthcare;learning disabilities", None),
        ("5F5", "NHS Salford", NW, "long-term conditions;stroke", None),
        ("5NK", "NHS Wirral", NW, "continuing healthcare;end of life", D(2011, 4, 1)),
        ("5N1", "NHS Leeds", YH, "continuing healthcare;neurological", D(2011, 1, 1)),
        ("5N4", "NHS Sheffield", YH, "mental health;long-term conditions", None),
        ("5H8", "NHS Rotherham", YH, "COPD;diabetes;cardiac", None),
        ("5NY", "NHS Bradford and Airedale", YH, "long-term conditions", None),
        ("5N9", "NHS Lincolnshire", EM, "continuing healthcare", D(2011, 5, 1)),
        ("5PC", "NHS Leicester City", EM, "diabetes;cardiac", None),
        ("5N7", "NHS Derby City", EM, "mental health;substance misuse", None),
        ("5N8", "NHS Nottinghamshire County", EM, "continuing healthcare;stroke", None),
        ("5ET", "NHS Bassetlaw", EM, "end of life", None),
        ("5MD", "NHS Coventry", WM, "mental health;obesity", None),
        ("5PE", "NHS Dudley", WM, "continuing healthcare", None),
        ("5PF", "NHS Walsall", WM, "long-term conditions;COPD", None),
        ("5PH", "NHS North Staffordshire", WM, "continuing healthcare;stroke", D(2011, 7, 1)),
        ("5PM", "NHS Warwickshire", WM, "end of life;continuing healthcare", None),
        ("5PL", "NHS Worcestershire", WM, "long-term conditions", None),
        ("5PP", "NHS Cambridgeshire", EE, "continuing healthcare;mental health", D(2011, 2, 1)),
        ("5PT", "NHS Suffolk", EE, "long-term conditions;diabetes", None),
        ("5PV", "NHS West Essex", EE, "continuing healthcare", None),
        ("5PX", "NHS Mid Essex", EE, "end of life", None),
        ("5P2", "NHS Bedfordshire", EE, "mental health;learning disabilities", None),
        ("5QV", "NHS Hertfordshire", EE, "continuing healthcare;COPD", None),
        ("5LE", "NHS Southwark", LO, "mental health;substance misuse", None),
        ("5LQ", "NHS Brighton and Hove", SEC, "mental health;obesity", None),
        ("5P5", "NHS Surrey", SEC, "continuing healthcare;end of life", D(2011, 1, 1)),
        ("5P7", "NHS East Sussex Downs and Weald", SEC, "long-term conditions", None),
        ("5QD", "NHS Buckinghamshire", SC, "continuing healthcare", None),
        ("5L1", "NHS Southampton City", SC, "mental health;long-term conditions", None),
        ("5FE", "NHS Portsmouth City", SC, "COPD;cardiac;diabetes", None),
        ("5QF", "NHS Berkshire West", SC, "continuing healthcare;end of life", None),
        ("5CQ", "NHS Milton Keynes", SC, "long-term conditions", None),
        ("5QJ", "NHS Bristol", SW, "mental health;end of life", D(2011, 3, 1)),
        ("5QP", "NHS Cornwall and Isles of Scilly", SW, "continuing healthcare", None),
        ("5QH", "NHS Gloucestershire", SW, "continuing healthcare;long-term conditions", None),
    )
)

SEEDS = NAMED + ILLUSTRATIVE
