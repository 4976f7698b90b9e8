"""What a page reads for a view, apart from drawing it, so that the server can work it out before anyone
asks: the page calls these where it draws each part; the server's start-up (pages/_startup.py) and the
prefetch of other regions (pages/_prefetch.py) call them ahead of it, filling the same cache.

Not a page: dashboard.py lists the pages explicitly.
"""

from __future__ import annotations

import pandas as pd

from pages import _shared as ui


def overview_headline(view: dict) -> pd.DataFrame:
    """The Overview's headline figures on the day and a month before."""
    days = [view["as_of"], ui.previous_month(view["as_of"])]
    return ui.frame("programme_headline", dates=days, region=view["region"], cohort=view["cohort"])


def overview_returns(view: dict) -> pd.DataFrame:
    """The Overview's count of the latest month's returns received."""
    return ui.frame("returns_summary", **view)


def overview_trend(view: dict) -> pd.DataFrame:
    """The Overview's programme over time (its three charts)."""
    return ui.frame("programme_trend", **view)


def overview(view: dict) -> None:
    """Everything the Overview reads for a view. The page itself asks for each part where it draws it,
    so its first figures show while the rest is worked out."""
    overview_headline(view)
    overview_returns(view)
    overview_trend(view)
    ui.rules_in_force(view["as_of"])  # its "How flags are decided" section (ui.flag_rules)
    ui.rule_history()
