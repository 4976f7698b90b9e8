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

    def make(user: dict, page: str | None = None) -> AppTest:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
        at.secrets["auth"] = AUTH
        at.secrets["access"] = ACCESS
        at.user = user
        at.query_params["as_of"] = "2010-11-30"
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
