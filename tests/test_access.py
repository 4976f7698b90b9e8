"""Sign-in and roles: anonymous visitors see only the sign-in page; viewers cannot load returns, page or function."""

from __future__ import annotations

import shutil

import pytest
from conftest import DATA, ROOT, load_log, table_rows
from streamlit.testing.v1 import AppTest

from tracker.access import EDITOR, VIEWER, Identity, role_for, upload_returns

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-long-random-string-for-tests-only",
    "client_id": "tracker",
    "client_secret": "not-a-secret",
    "server_metadata_url": "https://login.example.nhs.uk/.well-known/openid-configuration",
}
ACCESS = {"editors": ["Ed.Itor@example.nhs.uk"], "viewers": ["@viewers.example.nhs.uk"]}


@pytest.mark.parametrize(
    ("email", "role"),
    [
        ("ed.itor@example.nhs.uk", EDITOR),
        ("ED.ITOR@EXAMPLE.NHS.UK", EDITOR),
        ("anyone@viewers.example.nhs.uk", VIEWER),
        ("someone@elsewhere.nhs.uk", None),
        ("viewers.example.nhs.uk@evil.com", None),
        (None, None),
    ],
)
def test_allow_list(email, role):
    assert role_for(email, ACCESS) == role


def test_a_viewer_cannot_load_returns_through_the_function_behind_the_page(store):
    before = table_rows(store)
    viewer = Identity("Vi Ewer", "vi@viewers.example.nhs.uk", VIEWER)
    [result] = upload_returns(store, [("march.csv", (DATA / "returns_2010-03.csv").read_bytes())], viewer)
    assert result.outcome == "refused"
    assert "signed in as a viewer: only editors may load returns" in result.problems[0].message
    assert table_rows(store) == before
    assert (load_log(store)[-1]["outcome"], load_log(store)[-1]["loaded_by"]) == (
        "refused",
        "vi@viewers.example.nhs.uk",
    )


def test_an_editors_upload_is_logged_under_their_address(empty_store):
    editor = Identity("Ed Itor", "ed.itor@example.nhs.uk", EDITOR)
    [result] = upload_returns(empty_store, [("jan.csv", (DATA / "returns_2010-01.csv").read_bytes())], editor)
    assert result.outcome == "accepted"
    assert load_log(empty_store)[-1]["loaded_by"] == "ed.itor@example.nhs.uk"


@pytest.fixture
def signed_app(demo_db, tmp_path, monkeypatch):
    path = tmp_path / "access.duckdb"
    shutil.copy(demo_db, path)
    monkeypatch.setenv("TRACKER_DB", str(path))
    monkeypatch.delenv("TRACKER_PRIVATE_CAPTURE", raising=False)

    def make(user: dict, page: str | None = None, as_of: str = "2010-11-30") -> AppTest:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
        at.secrets["auth"] = AUTH
        at.secrets["access"] = ACCESS
        at.user = user
        at.query_params["as_of"] = as_of
        at.run()
        if page:
            at.switch_page(page).run()
        return at

    return make


def test_an_anonymous_visitor_sees_only_the_sign_in_page(signed_app):
    for page in (None, "pages/returns.py", "pages/board.py"):
        at = signed_app({"is_logged_in": False}, page)
        assert not at.exception
        assert [b.label for b in at.button] == ["Sign in"]
        assert at.metric.len == 0 and at.dataframe.len == 0
        assert all("Dorset" not in m.value for m in at.markdown)


def test_a_viewer_sees_everything_but_cannot_upload(signed_app):
    at = signed_app({"is_logged_in": True, "email": "vi@viewers.example.nhs.uk", "name": "Vi"}, "pages/returns.py")
    assert not at.exception
    assert any("signed in as a viewer" in i.value for i in at.info)
    assert at.get("file_uploader") == []
    overview = signed_app({"is_logged_in": True, "email": "vi@viewers.example.nhs.uk", "name": "Vi"})
    assert overview.metric.len > 0


def test_an_editor_can_upload(signed_app):
    at = signed_app({"is_logged_in": True, "email": "ed.itor@example.nhs.uk", "name": "Ed"}, "pages/returns.py")
    assert not at.exception
    assert len(at.get("file_uploader")) == 1


def test_an_account_not_on_the_list_is_turned_away(signed_app):
    at = signed_app({"is_logged_in": True, "email": "someone@elsewhere.nhs.uk", "name": "S"})
    assert not at.exception
    assert "is not on the tracker's list of users" in at.error[0].value
    assert at.metric.len == 0


def test_a_viewer_cannot_change_the_register_or_the_rules_through_the_functions_behind_the_forms(store):
    from tracker.access import change_rules, edit_site

    before = table_rows(store)
    viewer = Identity("Vi Ewer", "vi@viewers.example.nhs.uk", VIEWER)
    edited = edit_site(store, viewer, "AAA", {"recruitment_target": 99}, reason="x")
    ruled = change_rules(store, viewer, {"plateau_returns": 4}, reason="x")
    for result in (edited, ruled):
        assert result.outcome == "refused" and "only editors may change" in result.problems[0].message
    assert table_rows(store) == before
    assert [(r["kind"], r["outcome"]) for r in load_log(store)[-2:]] == [("register", "refused"), ("rules", "refused")]


def test_a_viewer_sees_the_register_history_but_no_forms(signed_app):
    vi = {"is_logged_in": True, "email": "vi@viewers.example.nhs.uk", "name": "Vi"}
    at = signed_app(vi, "pages/site.py")
    assert not at.exception
    assert any(d.value.columns[0] == "Recorded" for d in at.dataframe)  # the history is for everyone
    assert not [b for b in at.button if b.label == "Record the change"]
    stalled = signed_app(vi, "pages/stalled.py")
    assert not [b for b in stalled.button if b.label == "Record the change"]


def test_an_editor_changes_a_target_in_the_browser_from_a_date(signed_app):
    import datetime as dt

    ed = {"is_logged_in": True, "email": "ed.itor@example.nhs.uk", "name": "Ed"}
    at = signed_app(ed, "pages/site.py")
    form_target = next(n for n in at.number_input if n.label == "Recruitment target (people)")
    old = form_target.value
    form_target.set_value(old + 20)
    next(d for d in at.date_input if d.label == "Takes effect from").set_value(dt.date(2011, 3, 1))
    next(t for t in at.text_input if t.label == "Why (recorded with the change)").set_value("re-baselined by the board")
    next(b for b in at.button if b.label == "Record the change").click()
    at.run()
    assert not at.exception
    assert any(f"recruitment_target {old} → {old + 20}" in s.value for s in at.success), [s.value for s in at.success]
    history = next(d.value for d in at.dataframe if d.value.columns[0] == "Recorded")
    top = history.iloc[0]
    assert (top["By"], top["Effective from"], top["Why"]) == (
        "ed.itor@example.nhs.uk",
        "1 Mar 2011",
        "re-baselined by the board",
    )
    assert f"recruitment target {old} → {old + 20}" in top["What changed"]
    # the Compare table marks it from the date it took effect, and not before
    earlier = signed_app(ed, "pages/compare.py")  # as of 30 Nov 2010: nothing re-baselined yet
    assert not earlier.exception
    assert (next(d.value for d in earlier.dataframe if "target_note" in d.value.columns).target_note == "").all()
    again = signed_app(ed, "pages/compare.py", as_of="2011-04-30")
    table = next(d.value for d in again.dataframe if "target_note" in d.value.columns)
    marked = table[table.target_note != ""]
    assert list(marked.target_note) == [f"target {old} → {old + 20} from 1 Mar 2011"]


def test_an_editor_changes_a_rule_in_the_browser_and_the_panel_shows_the_rules_of_the_date(signed_app):
    import datetime as dt

    ed = {"is_logged_in": True, "email": "ed.itor@example.nhs.uk", "name": "Ed"}
    at = signed_app(ed, "pages/stalled.py")
    at.selectbox(key="rules_edit_name").set_value("plateau_returns")
    next(t for t in at.text_input if t.label == "New value").set_value("5")
    next(d for d in at.date_input if d.label == "Takes effect from").set_value(dt.date(2011, 1, 1))
    at.text_input(key="rules_edit_reason").set_value("fewer false alarms")
    next(b for b in at.button if b.label == "Record the change").click()
    at.run()
    assert not at.exception
    assert any("plateau_returns 3 → 5" in s.value for s in at.success), [s.value for s in at.success]
    # as of 30 Nov 2010 the panel still shows the first rules; from 2011 the new version
    assert any("rules version 1, in effect from the start" in c.value for c in at.caption)
    later = signed_app(ed, as_of="2011-02-28")
    assert any(
        "rules version 2, in effect from 1 Jan 2011" in c.value and "fewer false alarms" in c.value
        for c in later.caption
    )
    [versions] = [d.value for d in later.dataframe if "Version" in d.value.columns]
    assert list(versions["What changed"]) == ["plateau returns 3 → 5", "the first rules"]
    assert list(versions["By"]) == ["ed.itor@example.nhs.uk", "tracker.toml"]
    rules_table = next(d.value for d in later.dataframe if "Raised when" in d.value.columns)
    assert "the 5 latest returns" in rules_table.set_index("Flag").loc["PLATEAU", "Raised when"]


def test_editors_see_every_delivery_attempt_and_viewers_do_not(signed_app, tmp_path):
    import datetime as dt

    from tracker.mail import log_attempt
    from tracker.store import FileStore

    store = FileStore(tmp_path / "access.duckdb")
    store.write(
        lambda con: log_attempt(
            con,
            kind="pack",
            as_of=dt.date(2010, 11, 30),
            to=["board@example.nhs.uk"],
            subject="Board pack — as of 30 Nov 2010",
            outcome="failed",
            error="the mail server relay.example:587 did not answer within 30 s; nothing was sent",
            user="cron",
        )
    )
    ed = signed_app({"is_logged_in": True, "email": "ed.itor@example.nhs.uk", "name": "Ed"}, "pages/returns.py")
    [shown] = [d.value for d in ed.dataframe if "outcome" in d.value.columns and "subject" in d.value.columns]
    assert list(shown.outcome) == ["failed"] and "did not answer" in shown.error[0]
    vi = signed_app({"is_logged_in": True, "email": "vi@viewers.example.nhs.uk", "name": "Vi"}, "pages/returns.py")
    assert not [d for d in vi.dataframe if "subject" in d.value.columns]
