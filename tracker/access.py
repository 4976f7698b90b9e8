"""Who may do what: an allow-list of signed-in users with two roles, viewer and editor.

Viewers see everything; editors may also load returns and change the register and the rules.
Without sign-in configured (a server on this machine only) the local user is an editor. The checks
here are the ones that count: the page hides the forms from viewers, and the functions behind them
refuse viewers too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from tracker.ingest import FileResult, ingest_bytes, refuse, sha256
from tracker.store import Store

EDITOR, VIEWER, LOCAL = "editor", "viewer", "local"


@dataclass(frozen=True)
class Identity:
    """The person using the dashboard."""

    name: str
    email: str | None
    role: str  # editor, viewer, or local (no sign-in configured: this machine only)

    @property
    def can_upload(self) -> bool:
        """Editors (and the local user) may load returns."""
        return self.role in (EDITOR, LOCAL)

    @property
    def label(self) -> str:
        """How the load log and notes name them."""
        return self.email or self.name


def role_for(email: str | None, access: Mapping) -> str | None:
    """The role an allow-list gives an e-mail address, or None if it is not on it.

    ``access`` has lists ``editors`` and ``viewers`` of addresses; an entry ``@example.nhs.uk``
    admits a whole domain. Case does not matter.
    """
    if not email:
        return None
    address = email.strip().lower()

    def listed(entries: object) -> bool:
        for entry in entries or ():
            entry = str(entry).strip().lower()
            if entry == address or (entry.startswith("@") and address.endswith(entry)):
                return True
        return False

    if listed(access.get("editors")):
        return EDITOR
    if listed(access.get("viewers")):
        return VIEWER
    return None


def upload_returns(
    store: Store,
    files: list[tuple[str, bytes]],
    identity: Identity,
    *,
    dry_run: bool = False,
    today: dt.date | None = None,
) -> list[FileResult]:
    """Load uploaded files as ``identity``; a viewer's files are refused (and the refusal logged)."""
    if identity.can_upload:
        return [
            ingest_bytes(store, name, data, user=identity.label, dry_run=dry_run, today=today) for name, data in files
        ]
    message = f"{identity.label} is signed in as a viewer: only editors may load returns"
    return [
        refuse(store, name, message, sha=sha256(data), user=identity.label, dry_run=dry_run) for name, data in files
    ]


def edit_site(store: Store, identity: Identity, site_code: str, new: dict, **kwargs: object) -> FileResult:
    """Change a site's register entry as ``identity`` (``tracker.register.edit_site``); a viewer is refused."""
    from tracker import register

    if identity.can_upload:
        return register.edit_site(store, site_code, new, user=identity.label, **kwargs)
    return _refused(store, f"register edit: {site_code}", "register", identity)


def change_rules(store: Store, identity: Identity, new: dict, **kwargs: object) -> FileResult:
    """Record a change of the rules as ``identity`` (``tracker.rules.record_change``); a viewer is refused."""
    from tracker import rules

    if identity.can_upload:
        return rules.record_change(store, new, user=identity.label, **kwargs)
    return _refused(store, "rules: " + ", ".join(f"{k}={v}" for k, v in new.items()), "rules", identity)


def _refused(store: Store, name: str, kind: str, identity: Identity) -> FileResult:
    from tracker.errors import Problem
    from tracker.ingest import record_load

    message = f"{identity.label} is signed in as a viewer: only editors may change the register or the rules"
    result = FileResult(file=name, sha256=None, outcome="refused", problems=[Problem(name, message)])
    result.load_id = store.write(lambda con: record_load(con, kind, result, identity.label))
    return result
