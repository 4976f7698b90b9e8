"""Delivering the pack and the alerts by e-mail, through a real SMTP server on loopback; failure is loud."""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, SilentServer, SmtpServer, break_register, judging_afresh, run_tracker
from PIL import Image
from pptx import Presentation
from pypdf import PdfReader

from tracker import alerts, mail
from tracker.store import FileStore

AS_OF = "2010-11-30"
PROGRAMME = "Personal health budget pilot programme"


@pytest.fixture
def demo(demo_db, tmp_path) -> FileStore:
    shutil.copy(demo_db, tmp_path / "demo.duckdb")
    return FileStore(tmp_path / "demo.duckdb")


def deliveries(store) -> list[tuple]:
    with store.read() as con:
        return con.execute("select kind, outcome, message_id, error from deliveries order by delivery_id").fetchall()


@pytest.fixture(scope="module")
def mailed_pack(demo_db, tmp_path_factory):
    """`snapshot --mail-to` run once, as a Monday job would: the pack folder, the store and what the server got."""
    folder = tmp_path_factory.mktemp("pack")
    db = folder.parent / "mailed.duckdb"
    shutil.copy(demo_db, db)
    store = FileStore(db)
    with SmtpServer() as server:
        done = run_tracker(
            "snapshot", "--as-of", AS_OF, "--out", str(folder / "out"), "--pages", "board,stalled",
            "--mail-to", "chair@example.nhs.uk, secretary@example.nhs.uk",
            store=store, env=server.env(), timeout=300,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    manifest = json.loads(next((folder / "out").glob("*.json")).read_text())
    return folder / "out", store, server.received, manifest, done


def test_the_pack_arrives_as_one_message_readable_with_pictures_blocked(mailed_pack):
    out, store, received, manifest, done = mailed_pack
    assert len(received) == 1
    sender, to, message = received[0]
    assert sender == "programme.office@example.nhs.uk"
    assert sorted(to) == ["chair@example.nhs.uk", "secretary@example.nhs.uk"]
    assert message["Subject"] == f"Board pack — {PROGRAMME} — as of 30 Nov 2010"
    # the board inline, byte for byte the PNG written to --out
    [inline] = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert inline.get_payload(decode=True) == (out / f"{AS_OF}_board.png").read_bytes()
    html = message.get_body(("html",)).get_content()
    assert f"cid:{inline['Content-ID'].strip('<>')}" in html
    # the figures, the changes and the cut-off as text in both parts
    head = manifest["headline"]
    for part in (message.get_body(("plain",)).get_content(), html):
        assert f"Stalled: {head['sites_stalled']:,}" in part
        assert f"People recruited: {head['people_recruited']:,}" in part
        assert "data received up to 24 Nov 2010" in part
        assert "Newly stalled since 23 Nov 2010:" in part
        for flagged in manifest["flagged_sites"][:3]:
            assert flagged["site_name"] in part
    # the PDF and the deck attached, and both open
    files = {p.get_filename(): p.get_payload(decode=True) for p in message.iter_attachments()}
    assert set(files) == {manifest["pdf"], manifest["pptx"]}
    assert len(PdfReader(io.BytesIO(files[manifest["pdf"]])).pages) == 2
    deck = Presentation(io.BytesIO(files[manifest["pptx"]]))
    assert len(deck.slides) == 1 + len(manifest["pages"])
    # the logged attempt carries the message's id
    assert deliveries(store) == [("pack", "sent", message["Message-ID"], None)]
    assert "e-mailed the pack to" in done.stderr


def test_the_deck_has_a_title_slide_and_the_board_filling_its_16_9_slide(mailed_pack):
    out, _, _, manifest, done = mailed_pack
    assert str(out / manifest["pptx"]) in done.stdout
    deck = Presentation(str(out / manifest["pptx"]))
    assert (deck.slide_width, deck.slide_height) == (12192000, 6858000)  # 13.333 × 7.5 in: 16:9
    title, board, stalled = deck.slides
    assert PROGRAMME in title.shapes.title.text
    assert "30 Nov 2010" in title.placeholders[1].text and "24 Nov 2010" in title.placeholders[1].text
    [picture] = [s for s in board.shapes if s.shape_type == 13]
    assert (picture.left, picture.top, picture.width, picture.height) == (0, 0, deck.slide_width, deck.slide_height)
    assert picture.image.blob == (out / f"{AS_OF}_board.png").read_bytes()
    [tall] = [s for s in stalled.shapes if s.shape_type == 13]
    assert tall.height == pytest.approx(deck.slide_height, abs=2) and tall.width < deck.slide_width
    with Image.open(io.BytesIO(tall.image.blob)) as image:
        assert image.size[1] > image.size[0] * 9 / 16  # a long page, fitted by height
    notes = board.notes_slide.notes_text_frame.text
    assert f"Stalled: {manifest['headline']['sites_stalled']:,}" in notes
    assert all(f["reason"] in notes for f in manifest["flagged_sites"])
    assert manifest["rules"]["label"] in notes


@pytest.mark.parametrize("server_kind", ["refuses", "silent"])
def test_a_server_that_refuses_or_never_answers_fails_loudly_and_records_nothing_as_sent(
    mailed_pack, demo, server_kind, monkeypatch
):
    out, _, _, manifest, _ = mailed_pack
    server = SmtpServer(refuse=True) if server_kind == "refuses" else SilentServer()
    with server:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        with pytest.raises(mail.MailError) as failed:
            mail.send_pack(demo, manifest, out, PROGRAMME, ["chair@example.nhs.uk"], "t")
    said = str(failed.value)
    assert (
        ("550" in said and "mailbox unavailable" in said)
        if server_kind == "refuses"
        else "did not answer within 2 s" in said
    )
    assert [(k, o) for k, o, _, _ in deliveries(demo)] == [("pack", "failed")]
    with SmtpServer() as good:
        for key, value in good.env().items():
            monkeypatch.setenv(key, value)
        mail.send_pack(demo, manifest, out, PROGRAMME, ["chair@example.nhs.uk"], "t")
    assert len(good.received) == 1
    assert [(k, o) for k, o, _, _ in deliveries(demo)] == [("pack", "failed"), ("pack", "sent")]


def test_a_refused_send_exits_1_with_a_plain_message(demo):
    with SmtpServer(refuse=True) as server:
        done = run_tracker(
            "alerts", "--as-of", AS_OF, "--mail-to", "chair@example.nhs.uk", store=demo, env=server.env()
        )
    assert done.returncode == 1
    assert done.stderr.startswith("error: the mail server 127.0.0.1") and "Traceback" not in done.stderr
    assert [(k, o) for k, o, _, _ in deliveries(demo)] == [("alert", "failed")]
    # a relay that offers no STARTTLS, with STARTTLS on (the default): said plainly, not sent
    with SmtpServer() as plain:
        env = {**plain.env(), "TRACKER_SMTP_STARTTLS": "1"}
        done = run_tracker("alerts", "--as-of", AS_OF, "--mail-to", "chair@example.nhs.uk", store=demo, env=env)
    assert done.returncode == 1 and "does not offer STARTTLS" in done.stderr and plain.received == []
    no_server = run_tracker("snapshot", "--as-of", AS_OF, "--out", "x", "--mail-to", "a@b.nhs.uk", store=demo)
    assert no_server.returncode == 1 and "TRACKER_SMTP_HOST" in no_server.stderr


def alert_lines(message) -> list[str]:
    return [line for line in message.get_body(("plain",)).get_content().splitlines() if line.startswith("- ")]


def test_alerts_tell_each_stall_and_red_flag_once_judged_by_what_was_sent(demo, monkeypatch):
    with SmtpServer() as server:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        first = alerts.run(demo, dt.date(2010, 10, 31), ["chair@example.nhs.uk"])
        assert first.sent
        with judging_afresh(demo) as con:
            stalled = con.execute(
                "select count(*) from site_statuses(date '2010-10-31') where status = 'Stalled'"
            ).fetchone()[0]
            red = con.execute("select count(*) from flags_now(date '2010-10-31') where severity = 'red'").fetchone()[0]
        # the first alert lists every site Stalled and every red flag as of the date
        assert len(alert_lines(server.received[0][2])) == stalled + red
        again = alerts.run(demo, dt.date(2010, 10, 31), ["chair@example.nhs.uk"])
        assert not again.sent and "nothing new" in again.summary
        later = alerts.run(demo, dt.date(2010, 11, 30), ["chair@example.nhs.uk"])
        with judging_afresh(demo) as con:
            newly = con.execute(
                "select count(*) from site_statuses(date '2010-11-30') as n "
                "join site_statuses(date '2010-10-31') as o using (site_code) "
                "where n.status = 'Stalled' and o.status <> 'Stalled'"
            ).fetchone()[0]
        assert later.sent and newly > 0
        body = server.received[1][2].get_body(("plain",)).get_content()
        lines = body.splitlines()
        listed = lines[lines.index("Newly stalled:") + 1 :]
        assert len(listed[: listed.index("")]) == newly
        assert len(server.received) == 2
    assert [o for _, o, _, _ in deliveries(demo)] == ["sent", "sent"]


def test_a_dry_run_prints_the_alert_and_records_nothing(demo):
    done = run_tracker("alerts", "--as-of", AS_OF, "--dry-run", store=demo)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Alert — {PROGRAMME} — as of 30 Nov 2010:")
    assert "dry run" in done.stderr
    assert deliveries(demo) == []


def test_two_machines_running_the_same_alert_at_once_send_it_once(demo):
    with SmtpServer() as server:
        env = {**server.env()}
        command = [
            sys.executable,
            "-m",
            "tracker",
            "alerts",
            "--as-of",
            AS_OF,
            "--mail-to",
            "chair@example.nhs.uk",
            "--db",
            demo.locator,
        ]
        import os

        both = [
            subprocess.Popen(
                command, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        results = [(p.wait(timeout=120), p.stderr.read()) for p in both]
    assert [code for code, _ in results] == [0, 0], results
    assert len(server.received) == 1, results
    assert [o for _, o, _, _ in deliveries(demo)] == ["sent"]


def test_a_pack_that_fails_its_checks_is_never_sent_and_the_failure_is_logged(demo):
    break_register(demo.locator)
    with SmtpServer() as server:
        done = run_tracker(
            "snapshot", "--as-of", AS_OF, "--out", str(demo.path.parent / "packs"), "--mail-to", "board@example.nhs.uk",
            store=demo, env=server.env(),
        )  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert server.received == []
    [(kind, outcome, message_id, error)] = deliveries(demo)
    assert (kind, outcome, message_id) == ("pack", "failed", None)
    assert error.startswith("the pack failed its checks, so it was not sent:")


def test_one_rejected_recipient_means_nobody_is_sent_it(demo, monkeypatch):
    with SmtpServer(refuse="nobody") as server:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        with pytest.raises(mail.MailError, match=r"rejected recipients \(nobody@example.nhs.uk: 550"):
            alerts.run(demo, dt.date(2010, 10, 31), ["chair@example.nhs.uk", "nobody@example.nhs.uk"])
        assert server.received == []  # all or nothing: a rerun cannot send the others a second copy
    assert [o for _, o, _, _ in deliveries(demo)] == ["failed"]


def test_a_site_that_recovers_and_stalls_again_is_news_again(demo, monkeypatch):
    import pandas as pd

    def week(stalled: list[str]):
        return (
            pd.DataFrame({"site_code": stalled, "site_name": stalled, "flag_names": ["NO_RECRUITS"] * len(stalled)}),
            pd.DataFrame(columns=["site_code", "site_name", "flag", "reason", "since"]),
        )

    weeks = iter([week(["5MD"]), week([]), week(["5MD"]), week(["5MD"])])
    monkeypatch.setattr(alerts, "_state", lambda con, as_of: next(weeks))
    with SmtpServer() as server:
        for key, value in server.env().items():
            monkeypatch.setenv(key, value)
        results = [alerts.run(demo, dt.date(2010, 11, d), ["chair@example.nhs.uk"]) for d in (1, 8, 15, 22)]
    assert [r.sent for r in results] == [True, False, True, False]
    assert [o for _, o, _, _ in deliveries(demo)] == ["sent", "narrowed", "sent"]
    assert len(server.received) == 2
