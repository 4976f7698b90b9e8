"""E-mail: the weekly pack and the alerts, sent through the organisation's SMTP relay, loudly.

The server comes from tracker.toml's ``[mail]``, overridden by the environment (``TRACKER_SMTP_HOST``,
``TRACKER_SMTP_PORT``, ``TRACKER_SMTP_USER``, ``TRACKER_SMTP_PASSWORD``, ``TRACKER_SMTP_STARTTLS``: 1
unless set to 0, ``TRACKER_SMTP_TIMEOUT``: seconds, ``TRACKER_MAIL_FROM``). A password is read from
the environment only, never from a command line or a file in the checkout. Every attempt is logged in
the ``deliveries`` table; a refusal, a rejected recipient or a server that does not answer within
the timeout raises MailError with a plain message, and nothing is recorded as sent.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import os
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import duckdb

from tracker import deck, queries
from tracker.config import current
from tracker.errors import TrackerError
from tracker.store import Store, programme_config
from tracker.values import uk_date


class MailError(TrackerError):
    """The message was not sent (the reason in plain words)."""


@dataclass(frozen=True)
class MailSettings:
    """Where and how to send."""

    host: str | None
    port: int
    user: str | None
    password: str | None
    starttls: bool
    timeout_s: float
    sender: str | None

    def problems(self) -> list[str]:
        """What is missing before anything can be sent."""
        found = []
        if not self.host:
            found.append("no SMTP server: set TRACKER_SMTP_HOST (or [mail] host in tracker.toml)")
        if not self.sender:
            found.append("no sender address: set TRACKER_MAIL_FROM (or [mail] from in tracker.toml)")
        if self.user and not self.password:
            found.append("TRACKER_SMTP_USER is set but TRACKER_SMTP_PASSWORD is not")
        return found


def settings(env: Mapping[str, str] | None = None) -> MailSettings:
    """tracker.toml's [mail], with the environment over it."""
    env = os.environ if env is None else env
    section = current().mail

    def pick(name: str, key: str) -> object:
        value = env.get(name)
        return value if value not in (None, "") else section.get(key)

    try:
        port = int(pick("TRACKER_SMTP_PORT", "port") or 587)
        timeout = float(pick("TRACKER_SMTP_TIMEOUT", "timeout_seconds") or 30)
    except ValueError as exc:
        raise MailError(f"the mail settings hold a value that is not a number: {exc}") from None
    starttls = pick("TRACKER_SMTP_STARTTLS", "starttls")
    starttls = "1" if starttls is None else str(starttls)
    return MailSettings(
        host=pick("TRACKER_SMTP_HOST", "host"),
        port=port,
        user=pick("TRACKER_SMTP_USER", "user"),
        password=env.get("TRACKER_SMTP_PASSWORD") or None,
        starttls=starttls.strip().lower() not in ("0", "false", "no"),
        timeout_s=timeout,
        sender=pick("TRACKER_MAIL_FROM", "from"),
    )


def recipients(text: str) -> list[str]:
    """``a@x,b@y`` as a list; a plain message for anything that is not an address."""
    found = [part.strip() for part in text.split(",") if part.strip()]
    bad = [a for a in found if "@" not in a or any(c.isspace() for c in a)]
    if not found or bad:
        raise MailError(f"--mail-to: not an e-mail address: {', '.join(bad) or '(none given)'}")
    return found


def send(message: EmailMessage, mail: MailSettings) -> str:
    """Send one message; gives its Message-ID, or raises MailError (nothing was sent)."""
    missing = mail.problems()
    if missing:
        raise MailError("; ".join(missing))
    message["From"] = mail.sender
    if "Message-ID" not in message:
        message["Message-ID"] = make_msgid(domain=mail.sender.rpartition("@")[2] or None)
    where = f"the mail server {mail.host}:{mail.port}"
    to = [a.strip() for a in str(message["To"]).split(",") if a.strip()]
    smtp = None
    try:
        smtp = smtplib.SMTP(mail.host, mail.port, timeout=mail.timeout_s)
        if mail.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if mail.user:
            smtp.login(mail.user, mail.password)
        # All or nothing: every recipient must be accepted before the message is handed over, so a
        # rejected address never leaves the others sent and the send recorded as failed (and sent again).
        smtp.ehlo_or_helo_if_needed()
        code, said = smtp.mail(mail.sender)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, said, mail.sender)
        refused = {}
        for address in to:
            code, said = smtp.rcpt(address)
            if code not in (250, 251):
                refused[address] = (code, said)
        if refused:
            smtp.rset()
            listed = "; ".join(f"{addr}: {code} {_text(msg)}" for addr, (code, msg) in refused.items())
            raise MailError(f"{where} rejected recipients ({listed}); nothing was sent")
        code, said = smtp.data(message.as_bytes(policy=message.policy.clone(linesep="\r\n")))
        if code != 250:
            raise smtplib.SMTPDataError(code, said)
    except smtplib.SMTPResponseException as exc:
        raise MailError(f"{where} refused the message: {exc.smtp_code} {_text(exc.smtp_error)}") from None
    except TimeoutError:
        raise MailError(f"{where} did not answer within {mail.timeout_s:g} s; nothing was sent") from None
    except smtplib.SMTPServerDisconnected as exc:
        if "timed out" in str(exc):  # smtplib's word for a server that said nothing in time
            raise MailError(f"{where} did not answer within {mail.timeout_s:g} s; nothing was sent") from None
        raise MailError(f"{where} closed the connection ({exc}); nothing was sent") from None
    except smtplib.SMTPNotSupportedError:
        raise MailError(
            f"{where} does not offer STARTTLS: set TRACKER_SMTP_STARTTLS=0 only for a relay on a trusted network"
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise MailError(f"could not send through {where}: {exc}") from None
    finally:
        if smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):  # after DATA was accepted, QUIT cannot unsend
                smtp.quit()
    return str(message["Message-ID"])


def _text(value: object) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


# --- the log of attempts -----------------------------------------------------------------------


def log_attempt(
    con: duckdb.DuckDBPyConnection,
    *,
    kind: str,
    as_of: dt.date,
    to: list[str],
    subject: str,
    outcome: str,
    user: str,
    message_id: str | None = None,
    error: str | None = None,
    items: str | None = None,
) -> int:
    """Add one attempt to ``deliveries`` (inside the caller's write); gives its id."""
    from tracker.ingest import next_ids

    delivery_id = next_ids(con)["delivery_id"]
    now = dt.datetime.now().replace(microsecond=0)
    queries.execute(
        con,
        "insert_delivery",
        delivery_id=delivery_id,
        kind=kind,
        as_of=as_of,
        recipients=", ".join(to),
        subject=subject,
        items=items,
        outcome=outcome,
        message_id=message_id,
        error=error,
        attempted_by=user,
        attempted_at=now,
        finished_at=None if outcome == "sending" else now,
    )
    return delivery_id


# --- the pack ------------------------------------------------------------------------------------


def pack_subject(manifest: dict, programme: str) -> str:
    """``Board pack — <programme> — as of 30 Nov 2010``."""
    scope = " · ".join(x for x in (manifest.get("region"), manifest.get("cohort")) if x)
    day = uk_date(dt.date.fromisoformat(manifest["as_of"]))
    return f"Board pack — {programme}{' — ' + scope if scope else ''} — as of {day}"


def pack_message(manifest: dict, folder: Path, programme: str, to: list[str]) -> EmailMessage:
    """One message: the figures as text and as HTML with the board inline; the PDF and the deck attached."""
    text = deck.figures_text(manifest)
    message = EmailMessage()
    message["Subject"] = pack_subject(manifest, programme)
    message["To"] = ", ".join(to)
    message.set_content(
        f"{pack_subject(manifest, programme)}\n\n{text}\n\nThe pack is attached as a PDF and a PowerPoint deck.\n"
    )
    board = next((p for p in manifest["pages"] if p["page"] == "board"), None)
    cid = make_msgid(domain="board.pack")
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in text.splitlines())
    picture = (
        f'<p><img src="cid:{cid[1:-1]}" alt="The board as of {html.escape(manifest["as_of"])}: '
        f'the figures are also given as text in this message" width="960"></p>'
        if board
        else ""
    )
    message.add_alternative(
        f"<html><body><h1>{html.escape(pack_subject(manifest, programme))}</h1>{picture}{paragraphs}"
        "<p>The pack is attached as a PDF and a PowerPoint deck.</p></body></html>",
        subtype="html",
    )
    if board:
        message.get_payload()[1].add_related(
            (folder / board["file"]).read_bytes(), "image", "png", cid=cid, filename=board["file"]
        )
    message.add_attachment(
        (folder / manifest["pdf"]).read_bytes(), maintype="application", subtype="pdf", filename=manifest["pdf"]
    )
    if manifest.get("pptx"):
        message.add_attachment(
            (folder / manifest["pptx"]).read_bytes(),
            maintype="application",
            subtype="vnd.openxmlformats-officedocument.presentationml.presentation",
            filename=manifest["pptx"],
        )
    return message


def send_pack(store: Store, manifest: dict, folder: Path, programme: str, to: list[str], user: str) -> str:
    """E-mail a captured pack; every attempt logged; raises MailError when it was not sent."""
    message = pack_message(manifest, folder, programme, to)
    as_of = dt.date.fromisoformat(manifest["as_of"])
    subject = str(message["Subject"])
    attempt = {"kind": "pack", "as_of": as_of, "to": to, "subject": subject, "user": user}
    try:
        message_id = send(message, settings())
    except MailError as exc:
        error = str(exc)
        store.write(lambda con: log_attempt(con, **attempt, outcome="failed", error=error))
        raise
    store.write(lambda con: log_attempt(con, **attempt, outcome="sent", message_id=message_id))
    return message_id


def log_failed_pack(store: Store, as_of: dt.date, to: list[str], why: str, user: str) -> None:
    """Log a pack that was never sent because it failed its checks (nothing is mailed)."""
    with store.read() as con:
        programme = programme_config(con).programme_name
    subject = pack_subject({"as_of": as_of.isoformat()}, programme)
    store.write(
        lambda con: log_attempt(
            con, kind="pack", as_of=as_of, to=to, subject=subject, outcome="failed", error=why, user=user
        )
    )
