"""The weekly board pack's figures: one function, used by the board page and the capture's manifest."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from tracker import flags, queries
from tracker.store import Store
from tracker.values import last_pack_day, previous_month, uk_date

BEHIND_LIMIT = 10
# A folder, set only for the capture's private server (tracker.snapshot): each board the server draws
# leaves its figures there as the pack's manifest gives them, so the capture need not work them out again.
DRAWN_ENV = "TRACKER_BOARD_DRAWN"


@dataclass
class BoardFigures:
    """Everything the board page shows, as of a date and against the last pack and last month."""

    as_of: dt.date
    compare_to: dt.date  # the previous pack's as-of date
    month_before: dt.date
    region: str | None
    cohort: str | None
    now: pd.Series  # programme_headline
    last_pack: pd.Series
    last_month: pd.Series
    trend: pd.DataFrame  # programme_trend
    behind: pd.DataFrame  # behind_trajectory
    changes: pd.DataFrame  # status changes since the last pack
    flagged: pd.DataFrame  # site_flags as of the date
    returns_received: int  # for the latest month whose returns are due
    returns_due: int
    latest_due_month: dt.date | None
    statuses: pd.DataFrame  # site_status as of the date
    rebaselined: dict[str, str]  # site_code -> "target 60 → 80 from 1 Mar 2011"

    @property
    def returns_note(self) -> str:
        """``Returns for October 2010: 58 of 65 received``."""
        if self.latest_due_month is None:
            return "No returns due yet"
        return f"Returns for {self.latest_due_month:%B %Y}: {self.returns_received} of {self.returns_due} received"

    def manifest(self) -> dict:
        """The figures and flagged sites shown, for the pack's JSON manifest."""

        def plain(series: pd.Series) -> dict:
            return {k: _plain(v) for k, v in series.items()}

        return {
            "headline": plain(self.now),
            "headline_last_pack": plain(self.last_pack),
            "headline_last_month": plain(self.last_month),
            "furthest_behind": [
                {**plain(r), "target_note": self.rebaselined.get(r.site_code)} for _, r in self.behind.iterrows()
            ],
            "site_statuses": dict(zip(self.statuses.site_code.tolist(), self.statuses.status.tolist(), strict=True)),
            "rebaselined_targets": self.rebaselined,
            "status_changes_since_last_pack": [
                {
                    "site_code": r.site_code,
                    "site_name": r.site_name,
                    "was": r.status_before,
                    "now": r.status,
                    "change": r.change,
                }
                for r in self.changes.itertuples()
            ],
            "flagged_sites": [plain(r) for _, r in self.flagged.iterrows()],
            "returns": {
                "month": _plain(self.latest_due_month),
                "received": self.returns_received,
                "due": self.returns_due,
            },
        }


def manifest_figures(fig: BoardFigures) -> dict:
    """The part of a pack's manifest that the board's figures give (tracker.snapshot.pack_facts)."""
    return {
        "last_month": fig.month_before.isoformat(),
        "data_received_up_to": _plain(fig.now.data_received_up_to),
        **fig.manifest(),
    }


def _drawn_file(folder: str | os.PathLike, as_of, compare_to, region, cohort) -> Path:
    key = json.dumps([as_of.isoformat(), compare_to.isoformat(), region, cohort])
    return Path(folder) / f"board-{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"


def leave_drawn(fig: BoardFigures) -> None:
    """Where the capture asked for them (DRAWN_ENV), leave the figures of a board being drawn."""
    folder = os.environ.get(DRAWN_ENV)
    if not folder or not Path(folder).is_dir():
        return
    target = _drawn_file(folder, fig.as_of, fig.compare_to, fig.region, fig.cohort)
    part = target.with_suffix(".part")
    part.write_text(json.dumps(manifest_figures(fig)))
    part.replace(target)  # whole or not at all


def drawn(folder: str | os.PathLike, as_of, compare_to, region, cohort) -> dict | None:
    """The figures a board for exactly these arguments left in ``folder``, or None."""
    target = _drawn_file(folder, as_of, compare_to, region, cohort)
    return json.loads(target.read_text()) if target.exists() else None


def _plain(value: object) -> object:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, pd.Timestamp | dt.date):
        return value.isoformat()[:10]
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "is_finite"):  # Decimal
        return float(value)
    return value


def figures(
    store: Store,
    as_of: dt.date,
    compare_to: dt.date | None = None,
    region: str | None = None,
    cohort: str | None = None,
) -> BoardFigures:
    """The board's figures as of a date; ``compare_to`` defaults to a week earlier."""
    compare_to = compare_to or last_pack_day(as_of)
    month_before = previous_month(as_of)
    scope = {"region": region, "cohort": cohort}
    # Each query judges all its days in one pass (planning the flag rules is most of its cost), and the
    # queries run side by side where the store can (Store.read_each), the costliest first.
    days = [as_of, compare_to, month_before]
    headlines, trend, flagged, behind, returns, (status_now, status_then), rebaselines = store.read_each(
        [
            lambda con: queries.frame(con, "programme_headline", dates=days, **scope),
            lambda con: queries.frame(con, "programme_trend", as_of=as_of, **scope),
            lambda con: queries.frame(con, "site_flags", as_of=as_of, **scope),
            lambda con: queries.frame(con, "behind_trajectory", as_of=as_of, limit=BEHIND_LIMIT, **scope),
            lambda con: queries.frame(con, "returns_summary", as_of=as_of, **scope).iloc[0],
            lambda con: queries.frames_at(con, "site_status", [as_of, compare_to], **scope),
            lambda con: queries.frame(con, "target_rebaselines", as_of=as_of),
        ]
    )
    now, last_pack, last_month = (headlines.iloc[i] for i in range(len(days)))
    latest_due = None if pd.isna(returns.latest_due_month) else pd.Timestamp(returns.latest_due_month).date()
    return BoardFigures(
        as_of=as_of,
        compare_to=compare_to,
        month_before=month_before,
        region=region,
        cohort=cohort,
        now=now,
        last_pack=last_pack,
        last_month=last_month,
        trend=trend,
        behind=behind,
        changes=flags.status_changes(status_then, status_now),
        flagged=flagged,
        returns_received=int(returns.latest_received),
        returns_due=int(returns.latest_owed),
        latest_due_month=latest_due,
        statuses=status_now,
        rebaselined=target_notes(rebaselines[rebaselines.site_code.isin(status_now.site_code)]),
    )


def target_notes(rebaselines: pd.DataFrame) -> dict[str, str]:
    """``{site_code: "target 60 → 80 from 1 Mar 2011"}`` from sql/target_rebaselines.sql's rows."""
    return {
        r.site_code: (
            f"target {int(r.target_before):,} → {int(r.recruitment_target):,} from {uk_date(r.rebaselined_from)}"
        )
        for r in rebaselines.itertuples()
    }
