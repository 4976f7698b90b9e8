"""Alerts: e-mail the sites that newly turned Stalled and the red flags newly raised since the last alert sent.

What is new is judged against what was actually sent, kept in the ``deliveries`` table (each sent
alert keeps the state it told its readers: every site Stalled and every red flag as of its date),
never against the past recomputed: a later correction can neither hide a stall nor send it twice.

* The first alert for a programme (a store) lists every site Stalled and every red flag as of the date.
* A run with nothing new sends nothing; a rerun sends nothing twice; a failed send is retried by the
  next run (it is not recorded as sent).
* Two machines running the same alert at once send it once: the send is claimed in the database
  (a ``sending`` row, written under the store's write lock) before the message goes, and a claim
  counts as told, so the second run finds nothing new; a claim older than CLAIM_TTL (a process that
  died mid-send) no longer holds.
* ``dry_run`` builds the message and records nothing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from email.message import EmailMessage

import duckdb
import pandas as pd

from tracker import mail, queries
from tracker.store import Store, programme_config
from tracker.values import uk_date

CLAIM_TTL = dt.timedelta(minutes=15)  # longer than any send may take (the SMTP timeout is 30 s by default)


@dataclass
class Alert:
    """What one run did."""

    summary: str
    message: EmailMessage | None = None
    sent: bool = False


def _state(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    scope = {"region": None, "cohort": None}
    statuses = queries.frames_at(con, "site_status", [as_of], **scope)[0]
    flags = queries.frame(con, "site_flags", as_of=as_of, **scope)
    return statuses[statuses.status == "Stalled"], flags[flags.severity == "red"]


def _told(con: duckdb.DuckDBPyConnection) -> tuple[dict, bool]:
    """What the readers were last told: the latest alert sent, or claimed and being sent (another
    process's send in flight counts, so two runs at once do not both send it), or narrowed since by
    recoveries; and whether any alert was ever sent or claimed."""
    row = queries.execute(con, "last_alert_sent", since=dt.datetime.now() - CLAIM_TTL).fetchone()
    if not row or not row[0]:
        return {"stalled": [], "red_flags": []}, False
    return json.loads(row[0]), True


def message(
    programme: str, as_of: dt.date, stalled: pd.DataFrame, red: pd.DataFrame, first: bool, to: list[str]
) -> EmailMessage:
    """The alert: each newly stalled site with its reason, each new red flag with its reason, as text."""
    parts = []
    if len(stalled):
        parts.append(f"{len(stalled)} {'stalled' if first else 'newly stalled'}")
    if len(red):
        parts.append(f"{len(red)} {'' if first else 'new '}red flag{'s' if len(red) != 1 else ''}")
    subject = f"Alert — {programme} — as of {uk_date(as_of)}: {', '.join(parts)}"
    lines = [subject, ""]
    if first:
        lines += ["The first alert for this programme: every site Stalled and every red flag as of this date.", ""]
    if len(stalled):
        lines.append("Newly stalled:" if not first else "Stalled:")
        lines += [f"- {r.site_name} ({r.site_code}): {r.flag_names}" for r in stalled.itertuples()]
        lines.append("")
    if len(red):
        lines.append("New red flags:" if not first else "Red flags:")
        lines += [
            f"- {r.site_name} ({r.site_code}) {r.flag}: {r.reason} (since {uk_date(r.since)})" for r in red.itertuples()
        ]
    body = EmailMessage()
    body["Subject"] = subject
    body["To"] = ", ".join(to)
    body.set_content("\n".join(lines) + "\n")
    return body


def run(store: Store, as_of: dt.date, to: list[str], *, dry_run: bool = False, user: str = "tracker") -> Alert:
    """Send (or, in a dry run, show) the alert as of a date; raises MailError when the send failed."""

    def plan(con: duckdb.DuckDBPyConnection) -> tuple[str, object]:
        # inside the write: the state and what was told are read while no other alert can be claimed
        stalled, red = _state(con, as_of)
        programme = programme_config(con).programme_name
        state = {
            "stalled": sorted(stalled.site_code),
            "red_flags": sorted([c, f] for c, f in zip(red.site_code, red.flag, strict=True)),
        }
        told, ever = _told(con)
        first = not ever
        new_stalled = stalled[~stalled.site_code.isin(told["stalled"])]
        told_red = {tuple(x) for x in told["red_flags"]}
        new_red = red[[(c, f) not in told_red for c, f in zip(red.site_code, red.flag, strict=True)]]
        if new_stalled.empty and new_red.empty:
            still = {
                "stalled": [c for c in told["stalled"] if c in state["stalled"]],
                "red_flags": [x for x in told["red_flags"] if x in state["red_flags"]],
            }
            if still != told and not dry_run:
                # Sites recovered (or flags cleared) since: what the readers should still believe narrows,
                # so a site that stalls again is news again. Nothing is sent.
                mail.log_attempt(
                    con, kind="alert", as_of=as_of, to=to, subject="(nothing new: recoveries noted)",
                    outcome="narrowed", user=user, items=json.dumps(still),
                )  # fmt: skip
            return "nothing", None
        built = message(programme, as_of, new_stalled, new_red, first, to)
        if dry_run:
            return "dry", built
        delivery_id = mail.log_attempt(
            con,
            kind="alert",
            as_of=as_of,
            to=to,
            subject=str(built["Subject"]),
            outcome="sending",
            user=user,
            items=json.dumps(state),
        )
        return "send", (delivery_id, built)

    verdict, detail = _read(store, plan) if dry_run else store.write(plan)
    if verdict == "nothing":
        return Alert(f"nothing new since the last alert sent (as of {uk_date(as_of)}): nothing sent")
    if verdict == "dry":
        return Alert("dry run: nothing sent, nothing recorded", message=detail)
    delivery_id, built = detail
    try:
        message_id = mail.send(built, mail.settings())
    except mail.MailError as exc:
        _finish(store, delivery_id, "failed", error=str(exc))
        raise
    _finish(store, delivery_id, "sent", message_id=message_id)
    return Alert(f"sent to {', '.join(to)}: {built['Subject']} ({message_id})", message=built, sent=True)


def _read(store: Store, plan) -> tuple[str, object]:
    with store.read() as con:  # a dry run writes nothing
        return plan(con)


def _finish(store: Store, delivery_id: int, outcome: str, *, message_id: str | None = None, error: str | None = None):
    now = dt.datetime.now().replace(microsecond=0)
    store.write(
        lambda con: queries.execute(
            con,
            "finish_delivery",
            delivery_id=delivery_id,
            outcome=outcome,
            message_id=message_id,
            error=error,
            finished_at=now,
        )
    )
