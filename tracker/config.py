"""Programme settings read from ``tracker.toml`` (or the file named by TRACKER_CONFIG)."""

from __future__ import annotations

import datetime as dt
import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "tracker.toml"


@dataclass(frozen=True)
class Maintenance:
    """What ``python -m tracker maintain`` keeps in a shared store."""

    keep_snapshots_days: int
    delete_unused_files_after_hours: int


@dataclass(frozen=True)
class Config:
    """The settings in force, with their source file."""

    source: Path
    programme_name: str
    start: dt.date
    end: dt.date
    return_due_day: int
    regions: tuple[str, ...]
    care_groups: tuple[str, ...]
    max_monthly_spend_gbp: float
    max_upload_bytes: int
    spend_outlier_ratio: float
    spend_outlier_min_history: int
    spend_outlier_min_amount_gbp: float
    flags: dict[str, float]
    maintenance: Maintenance
    mail: dict[str, object]  # [mail]: the SMTP relay (tracker/mail.py; the environment overrides it)

    def settings_row(self) -> dict[str, object]:
        """The values the SQL reads from its ``settings`` table: flag thresholds, the due day, the window's end."""
        return {"return_due_day": self.return_due_day, "programme_end": self.end, **self.flags}


def load(path: Path | None = None) -> Config:
    """Read a settings file into a Config."""
    path = Path(path or os.environ.get("TRACKER_CONFIG") or DEFAULT_CONFIG)
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    prog, limits, warn = raw["programme"], raw["limits"], raw["warnings"]
    return Config(
        source=path,
        programme_name=prog["name"],
        start=prog["start"],
        end=prog["end"],
        return_due_day=int(prog["return_due_day"]),
        regions=tuple(prog["regions"]),
        care_groups=tuple(prog["care_groups"]),
        max_monthly_spend_gbp=float(limits["max_monthly_spend_gbp"]),
        max_upload_bytes=int(limits["max_upload_bytes"]),
        spend_outlier_ratio=float(warn["spend_outlier_ratio"]),
        spend_outlier_min_history=int(warn["spend_outlier_min_history"]),
        spend_outlier_min_amount_gbp=float(warn["spend_outlier_min_amount_gbp"]),
        flags=_flag_settings(raw["flags"]),
        maintenance=Maintenance(
            keep_snapshots_days=int(raw["maintenance"]["keep_snapshots_days"]),
            delete_unused_files_after_hours=int(raw["maintenance"]["delete_unused_files_after_hours"]),
        ),
        mail=_mail_settings(raw.get("mail", {})),
    )


def _mail_settings(raw: dict) -> dict[str, object]:
    if "password" in raw:
        raise ValueError("tracker.toml [mail]: no password here; set TRACKER_SMTP_PASSWORD in the environment")
    unknown = sorted(set(raw) - {"host", "port", "user", "starttls", "timeout_seconds", "from"})
    if unknown:
        raise ValueError(f"tracker.toml [mail]: unknown setting(s) {', '.join(unknown)}")
    return dict(raw)


RECENT_RETURNS_KEPT = 12  # site_facts keeps each site's latest 12 returns (sql/macros/facts.sql)


def _flag_settings(raw: dict) -> dict[str, float]:
    # The names become column names of the SQL `settings` table: keep them plain.
    for name, value in raw.items():
        if name not in RULE_THRESHOLDS or not isinstance(value, int | float):
            raise ValueError(
                f"tracker.toml [flags]: {name!r} is not a rule with a number; "
                f"the rules are {', '.join(RULE_THRESHOLDS)}"
            )
    missing = [name for name in RULE_THRESHOLDS if name not in raw]
    if missing:
        raise ValueError(f"tracker.toml [flags]: missing {', '.join(missing)}")
    for name in ("plateau_returns", "no_care_spend_returns"):
        if not 1 <= raw.get(name, 1) <= RECENT_RETURNS_KEPT:
            raise ValueError(f"tracker.toml [flags]: {name} must be between 1 and {RECENT_RETURNS_KEPT}")
    return dict(raw)


# The rules kept as versions in each database (rule_versions, sql/schema/004_history.sql): the
# programme window, the due day and the flag thresholds. tracker.toml seeds a new database's first.
RULE_WINDOW = ("programme_start", "programme_end", "return_due_day")
RULE_THRESHOLDS = (
    "no_recruits_after_months",
    "no_budgets_after_months",
    "no_care_spend_after_months",
    "no_care_spend_returns",
    "behind_target_after_months",
    "behind_target_amber_below",
    "behind_target_red_below",
    "plateau_returns",
    "set_up_only_after_months",
    "set_up_only_min_infrastructure_gbp",
    "set_up_only_max_care_share",
    "missing_returns_count",
)
RULE_NAMES = (*RULE_WINDOW, *RULE_THRESHOLDS)


def with_rules(cfg: Config, values: Mapping[str, object]) -> Config:
    """The settings with one version of the rules' window, due day and flag thresholds (``values``, by
    RULE_NAMES) in place of tracker.toml's."""
    return replace(
        cfg,
        start=values["programme_start"],
        end=values["programme_end"],
        return_due_day=int(values["return_due_day"]),
        flags={name: values[name] for name in RULE_THRESHOLDS},
    )


def rule_values(cfg: Config) -> dict[str, object]:
    """A new database's first rules: tracker.toml's window, due day and [flags] (with its own window)."""
    return {"programme_start": cfg.start, "programme_end": cfg.end, "return_due_day": cfg.return_due_day, **cfg.flags}


PROGRAMME_KEYS = ("programme_name", "programme_start", "programme_end", "regions")


def with_programme(cfg: Config, meta: Mapping[str, str]) -> Config:
    """The settings for one database: its own programme name, window and regions where it records them.

    A scaled or second programme (``python -m tracker demo --sites N``) keeps these in its ``meta``
    table; everything else (care groups, limits, thresholds) comes from the settings file.
    """
    changes: dict[str, object] = {}
    if meta.get("programme_name"):
        changes["programme_name"] = meta["programme_name"]
    if meta.get("programme_start"):
        changes["start"] = dt.date.fromisoformat(meta["programme_start"])
    if meta.get("programme_end"):
        changes["end"] = dt.date.fromisoformat(meta["programme_end"])
    if meta.get("regions"):
        changes["regions"] = tuple(json.loads(meta["regions"]))
    return replace(cfg, **changes) if changes else cfg


@cache
def current() -> Config:
    """The settings in force for this process."""
    return load()
