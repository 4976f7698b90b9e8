"""Versions that take effect on a date: how a change to a site's entry, or to the rules, is recorded.

Pure and shared by the register (``tracker.register``) and the rules (``tracker.rules``). A thing's
history is a list of versions, each a complete set of values with the day it takes effect (None:
from the start). The view of a day reads the version in effect on it (the latest effective on or
before it), so a change never overwrites: it adds versions.

* **A change effective E** sets the fields it changes from E on. It is recorded as a version at E
  (the entry in effect on E with the new values), and carried into every version already recorded
  to take effect after E that still held the old value; a later version that had set the field to
  something else keeps its own (a re-baseline planned for June is not undone by a change in March).
* **A correction** fixes a mistake on every date: each field it changes takes the new value in
  every version that held the mistaken value (the value in effect on the day it is recorded).

Either way the new versions are returned, each with the fields it changed as ``{field: (old, new)}``;
the caller stores them with higher version ids, so they win over the versions they replace.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

Values = Mapping[str, object]


@dataclass(frozen=True)
class Version:
    """One version of a thing: its values, from ``effective_from`` (None: from the start)."""

    effective_from: dt.date | None
    values: Values
    changes: dict[str, tuple[object, object]] = field(default_factory=dict)


def _key(version: Version) -> dt.date:
    return version.effective_from or dt.date.min


def in_effect(history: Sequence[Version], day: dt.date | None) -> Version | None:
    """The version in effect on ``day`` (None: from the start); the first one when none is yet."""
    ordered = sorted(history, key=_key)
    if not ordered:
        return None
    current = ordered[0]
    for version in ordered:
        if (day is not None and _key(version) <= day) or (day is None and version.effective_from is None):
            current = version
    return current


def differences(old: Values, new: Values) -> dict[str, tuple[object, object]]:
    """The fields whose values differ, as ``{field: (old, new)}`` (in ``new``'s order)."""
    return {name: (old.get(name), value) for name, value in new.items() if old.get(name) != value}


def change(history: Sequence[Version], new: Values, effective_from: dt.date | None) -> list[Version]:
    """The versions that record ``new`` as in effect from ``effective_from`` (none: it changes nothing)."""
    base = in_effect(history, effective_from)
    if base is None:
        return [Version(effective_from, dict(new))]
    changed = differences(base.values, new)
    if not changed:
        return []
    made = [Version(effective_from, {**base.values, **new}, changed)]
    carrying = dict(changed)  # field -> (old, new), while later versions still hold the old value
    for later in sorted(history, key=_key):
        if _key(later) <= (effective_from or dt.date.min) or not carrying:
            continue
        kept = {name: pair for name, pair in carrying.items() if later.values.get(name) == pair[0]}
        carrying = kept  # a field set to something else here is that version's own from now on
        if kept:
            made.append(Version(later.effective_from, {**later.values, **{n: p[1] for n, p in kept.items()}}, kept))
    return made


def correct(history: Sequence[Version], new: Values, recorded_on: dt.date) -> list[Version]:
    """The versions that correct a mistake: every version that held a value ``new`` replaces takes the new one."""
    base = in_effect(history, recorded_on)
    if base is None:
        return [Version(None, dict(new))]
    wrong = differences(base.values, new)
    made = []
    for version in sorted(history, key=_key):
        fixes = {name: pair for name, pair in wrong.items() if version.values.get(name) == pair[0]}
        if fixes:
            made.append(
                Version(version.effective_from, {**version.values, **{n: p[1] for n, p in fixes.items()}}, fixes)
            )
    return made
