"""One small hand-made programme (tests/data) that the tests load and reason about by hand.

Tests marked ``both_backends`` run twice: on a DuckDB file, and on a shared DuckLake whose catalog is
in a private PostgreSQL server started once per test run (each test gets its own database and data
folder). Their stores come from the ``new_store`` factory, or the ``empty_store`` and ``store``
fixtures built on it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from tracker.ingest import ingest_bytes
from tracker.register import load_register
from tracker.store import FileStore, Store
from tracker.store import file as file_store
from tracker.store.base import prepare

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("file", "lake")
_lake_numbers = itertools.count(1)

DATA = Path(__file__).parent / "data"
TODAY = dt.date(2010, 12, 31)  # the fixture programme's "today"
HEADER = (
    "site_code,period_end,people_offered,people_recruited,care_plans_agreed,budgets_notional,"
    "budgets_third_party,budgets_direct_payment,spend_care_gbp,spend_infrastructure_gbp,submitted_on,commentary"
)
RETURN_FILES = (
    "returns_2010-01.csv",
    "returns_2010-02.csv",
    "returns_2010-03.csv",
    "returns_2010-02_resubmission_AAA.csv",
)


def csv_bytes(*rows: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    """A returns CSV from a header and data lines."""
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


def ingest(store: Store, name: str, data: bytes, **kwargs):
    """Ingest with the fixture's today unless told otherwise."""
    kwargs.setdefault("today", TODAY)
    kwargs.setdefault("user", "tester")
    return ingest_bytes(store, name, data, **kwargs)


def table_rows(store: Store) -> dict[str, list[tuple]]:
    """Every row of every data table (not load_log), to show that nothing changed."""
    with store.read() as con:
        return {
            t: con.execute(f"select * from {t} order by all").fetchall()
            for t in ("site_versions", "rule_versions", "returns", "return_warnings", "meta")
        }


def load_log(store: Store) -> list[dict]:
    """The load log, oldest first."""
    with store.read() as con:
        return con.execute("select * from load_log order by load_id").df().to_dict("records")


def everything_stored(store: Store) -> dict[str, list[tuple]]:
    """Every row of every table a load writes, the derived ones included, and the load log without the
    time of each load: what two ways of loading the same files must agree on."""
    found = table_rows(store)
    with store.read() as con:
        for t in ("return_months", "site_facts", "flag_log", "first_visit_flags"):
            found[t] = con.execute(f"select * from {t} order by all").fetchall()
        found["load_log"] = con.execute("select * exclude (loaded_at) from load_log order by load_id").fetchall()
    return found


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run the tests of modules marked ``both_backends`` on each backend (unless marked ``file_only``)."""
    node = metafunc.definition
    if (
        "backend" in metafunc.fixturenames
        and node.get_closest_marker("both_backends")
        and not node.get_closest_marker("file_only")
    ):
        metafunc.parametrize("backend", BACKENDS, indirect=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator:
    """A private PostgreSQL server for the whole test run (catalogs of the shared-store tests)."""
    from private_postgres import PrivatePostgres

    server = PrivatePostgres().start()
    yield server
    server.remove()


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """Which store the test uses: 'file' unless its module runs on both backends."""
    return getattr(request, "param", "file")


@pytest.fixture
def open_lake(monkeypatch) -> Iterator[Callable[[str, Path], Store]]:
    """Opens lakes for this test (``open_lake(locator, data_folder)``; TRACKER_DATA_PATH follows the last
    one opened, as a command run now would see it) and closes them all when it ends."""
    from tracker.store import locate

    opened: list[Store] = []

    def open_(locator: str, data: Path) -> Store:
        monkeypatch.setenv("TRACKER_DATA_PATH", str(data))
        opened.append(locate(locator))
        return opened[-1]

    yield open_
    for store in opened:
        store.close()


@pytest.fixture
def new_store(backend: str, tmp_path: Path, request: pytest.FixtureRequest, open_lake) -> Callable[..., Store]:
    """A factory of new, empty stores on the test's backend: ``new_store("name")``."""
    names: set[str] = set()

    def make(name: str = "fixture") -> Store:
        name = next(f"{name}{n or ''}" for n in itertools.count() if f"{name}{n or ''}" not in names)
        names.add(name)
        if backend == "file":
            return FileStore(tmp_path / f"{name}.duckdb")
        locator = request.getfixturevalue("postgres").lake(f"{name}_{os.getpid()}_{next(_lake_numbers)}")
        data = tmp_path / f"{name}-data"
        data.mkdir()
        return open_lake(locator, data)

    return make


APP = str(ROOT / "dashboard.py")


def open_page(page: str = "pages/overview.py", **query: str):
    """A page under AppTest, opened as a user opens it: the entry point first, then the page."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if page != "pages/overview.py":
        at.switch_page(page).run()
    return at


def sql(store: Store, name: str, **params):
    """Rows of a named query, as the page would get them."""
    from tracker import queries

    with store.read() as con:
        return queries.frame(con, name, **params)


def checkout_copy(dest: Path) -> Path:
    """A copy of the app as another machine's server would run it (no demo data, no database, no secrets)."""
    dest.mkdir(parents=True)
    for part in ("dashboard.py", "tracker.toml", "pages", "tracker", "sql", ".streamlit"):
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, dest / part, ignore=shutil.ignore_patterns("__pycache__", "secrets.toml"))
        else:
            shutil.copy(source, dest / part)
    return dest


def run_tracker(*args: str, store: Store | None = None, env: dict | None = None, timeout: float = 120):
    """``python -m tracker ARGS --db STORE`` as a scheduled job would run it (TRACKER_DB unset)."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("TRACKER_DB", "TRACKER_DATA_PATH")}
    command = [sys.executable, "-m", "tracker", *args]
    if store is not None:
        full_env.update(store.environment())
        command += ["--db", store.locator]
    full_env.update(env or {})
    return subprocess.run(command, cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=timeout)


def _fill_fixture(store: Store, kind: str) -> None:
    result = load_register(store, "sites.csv", (DATA / "sites.csv").read_bytes(), user="tester")
    assert result.ok, result.problems
    if kind == "loaded":
        for name in RETURN_FILES:
            result = ingest(store, name, (DATA / name).read_bytes())
            assert result.outcome == "accepted", result.problems


def _unused(folder: Path, stem: str, suffix: str) -> Path:
    """``folder/<stem><suffix>``, numbered when that is taken: each copy in a test its own."""
    return next(path for n in itertools.count() if not (path := folder / f"{stem}{n or ''}{suffix}").exists())


@pytest.fixture(scope="session")
def _fixture_templates(tmp_path_factory) -> dict:
    """The fixture programme built once per backend and kind; each test gets a copy (cheaper than a build)."""
    return {}


@pytest.fixture
def fixture_copy(backend, tmp_path, _fixture_templates, request, open_lake) -> Callable[..., Store]:
    """A factory of copies of a programme built once per run and backend: ``fixture_copy("empty")`` (the
    fixture register) or ``("loaded")``, or a module's own, ``fixture_copy("flags", fill)``, where
    ``fill(store)`` loads it into a new store and is called only for the first copy of that name in
    that module. ``fill`` must depend on nothing of the test that happens to ask first."""

    def copy(kind: str, fill: Callable[[Store], None] | None = None) -> Store:
        owner = fill.__module__.replace(".", "_") if fill else "conftest"
        key = (backend, kind, owner)
        fill = fill or (lambda store: _fill_fixture(store, kind))
        made = request.getfixturevalue("tmp_path_factory")
        if backend == "file":
            if key not in _fixture_templates:
                template = FileStore(made.mktemp("tpl") / f"{kind}.duckdb")
                fill(template)
                template.close()
                _fixture_templates[key] = template.path
            path = _unused(tmp_path, "fixture", ".duckdb")
            shutil.copy(_fixture_templates[key], path)
            return FileStore(path)
        postgres = request.getfixturevalue("postgres")
        if key not in _fixture_templates:
            name, data = f"template_{owner}_{kind}_{os.getpid()}", made.mktemp(f"tpl-{kind}-data")
            template = open_lake(postgres.lake(name), data)
            fill(template)
            template.close()  # a template database may have no open sessions
            _fixture_templates[key] = (name, data)
        name, data = _fixture_templates[key]
        copy_data = _unused(tmp_path, "fixture", "-data")
        return open_lake(
            postgres.clone_lake(name, data, f"fixture_{os.getpid()}_{next(_lake_numbers)}", copy_data), copy_data
        )

    return copy


@pytest.fixture
def empty_store(fixture_copy) -> Store:
    """A store with the fixture register and no returns."""
    return fixture_copy("empty")


@pytest.fixture
def store(fixture_copy) -> Store:
    """The fixture programme with its four return files loaded."""
    return fixture_copy("loaded")


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """The demo programme built from the committed files in data/, once per test run."""
    from tracker import demo

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    demo.build(FileStore(path), demo.DEMO_DATA)
    return path


@pytest.fixture(scope="session")
def scaled_db(tmp_path_factory) -> Path:
    """A national-sized shape in small: 400 generated sites over 24 months (too many to draw one by one)."""
    from tracker import demo

    programme, meta = demo.generate_scaled(400, 24)
    path = tmp_path_factory.mktemp("scaled") / "scaled.duckdb"
    demo.build_generated(FileStore(path), programme, meta)
    return path


@pytest.fixture(scope="session")
def server_db(demo_db: Path, tmp_path_factory) -> Path:
    """The copy of the demo programme that the shared dashboard server serves (its tests may write to it)."""
    path = tmp_path_factory.mktemp("browser") / "browser.duckdb"
    shutil.copy(demo_db, path)
    return path


@pytest.fixture(scope="session")
def server(server_db: Path) -> Iterator[str]:
    """The dashboard on ``server_db``, on loopback, shared by the real-browser tests."""
    from tracker.browser import dashboard_server

    with dashboard_server(FileStore(server_db)) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """Debian's Chromium through Playwright, one per test module (0.2 s to launch).

    Not one per run: Playwright's sync API cannot start while another instance runs in the same thread,
    and some modules (test_concurrency, test_lake) start their own.
    """
    from playwright.sync_api import sync_playwright

    from tracker.browser import CHROMIUM_ARGS, chromium_path

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def serve_copy(db: Path, tmp_path: Path, monkeypatch) -> Store:
    """A copy of a database that the dashboard (and AppTest) will use: TRACKER_DB points at it."""
    import shutil

    path = tmp_path / db.name
    shutil.copy(db, path)
    monkeypatch.setenv("TRACKER_DB", str(path))
    return FileStore(path)


class SmtpServer:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it receives, or answers RCPT with 550."""

    def __init__(self, refuse: bool | str = False):
        """``refuse``: True answers every RCPT with 550; a string, only addresses that contain it."""
        from aiosmtpd.controller import Controller

        self.received: list = []
        outer = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if refuse is True or (isinstance(refuse, str) and refuse in address):
                    return "550 5.1.1 mailbox unavailable"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                import email
                from email import policy

                outer.received.append(
                    (
                        envelope.mail_from,
                        list(envelope.rcpt_tos),
                        email.message_from_bytes(envelope.content, policy=policy.default),
                    )
                )
                return "250 Message accepted for delivery"

        with socket.socket() as probe:  # a free port (the controller checks it can connect, so not 0)
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

    def env(self) -> dict[str, str]:
        """The environment that points the tracker at this server (plain SMTP on loopback)."""
        return smtp_env(self.port, timeout_s=5)


class SilentServer:
    """A server that accepts connections and never says a word (an SMTP relay that has hung)."""

    def __enter__(self) -> SilentServer:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        return self

    def __exit__(self, *exc) -> None:
        self.sock.close()

    def env(self) -> dict[str, str]:
        return smtp_env(self.port, timeout_s=2)


def smtp_env(port: int, *, timeout_s: float) -> dict[str, str]:
    """The tracker's mail settings for a server on this machine's loopback port (no STARTTLS)."""
    return {
        "TRACKER_SMTP_HOST": "127.0.0.1",
        "TRACKER_SMTP_PORT": str(port),
        "TRACKER_SMTP_STARTTLS": "0",
        "TRACKER_SMTP_TIMEOUT": f"{timeout_s:g}",
        "TRACKER_MAIL_FROM": "programme.office@example.nhs.uk",
    }


@pytest.fixture(autouse=True)
def _no_prefetch(monkeypatch) -> Iterator[None]:
    """No page fills other regions' figures in the background (pages/_prefetch.py): under AppTest it would
    be a thread of this process reading a test's database after the test moved on. Servers a test starts
    inherit it too; the session's shared server (started outside any test) and the benchmarks' keep the
    prefetch. Tests of it turn it on, and every prefetch has ended before the next test begins."""
    monkeypatch.setenv("TRACKER_PREFETCH", "0")
    yield
    finish_prefetches()


def finish_prefetches() -> None:
    """Wait for this process's prefetch threads to end."""
    from pages import _prefetch

    prefix = _prefetch.THREAD.format(page="")
    for thread in threading.enumerate():
        if thread.name.startswith(prefix):
            thread.join(timeout=60)


@pytest.fixture(autouse=True)
def _files_let_go() -> Iterator[None]:
    """Close the test's openings of DuckDB files when it ends (each would otherwise stay for a minute), once
    the parts of pages being worked out beside a page under AppTest have ended (pages/_shared.py ``ahead``),
    and let the spare opening such a page asked for be made before the next test begins."""
    yield
    shared = sys.modules.get("pages._shared")  # imported by a test that ran a page
    if shared is not None:
        shared.finish_ahead()
    file_store.close_all()
    file_store.spare_ready()


@contextmanager
def judging_afresh(store: Store) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read on which every query judges the flags itself, for tests of the flag macros (and raw SQL
    that calls them): a file's reads otherwise read the flags of the days their parameters name from a
    memo (tracker/judged.py), and any other day is an error. A lake's reads judge afresh already."""
    if not isinstance(store, FileStore):
        with store.read() as con:
            yield con
        return
    con = duckdb.connect(str(store.path), read_only=True)
    try:
        prepare(con)
        yield con
    finally:
        con.close()


def judging(monkeypatch) -> list[list]:
    """The days of each query the memo of judged flags runs to judge them (tracker/judged.py), from now
    until the test ends."""
    from tracker import queries

    asked: list[list] = []
    original = queries.execute

    def recording(con, name, **params):
        if name == "judged/judge":
            asked.append(params["dates"])
        return original(con, name, **params)

    monkeypatch.setattr(queries, "execute", recording)
    return asked


def break_register(db: str | Path) -> None:
    """Break a database's register (and its derived spans) behind the tracker's back: every page's queries fail."""
    import duckdb

    with duckdb.connect(str(db)) as con:
        for table in ("site_versions", "site_version_spans"):
            con.execute(f"alter table {table} drop column contact_email")


def ask_for_sign_in(app: Path) -> None:
    """Configure a checked-out copy of the app (``checkout_copy``) for sign-in, with one editor on the allow-list."""
    (app / ".streamlit" / "secrets.toml").write_text(
        '[auth]\nredirect_uri = "http://localhost:8501/oauth2callback"\ncookie_secret = "test-only-cookie-secret"\n'
        'client_id = "tracker"\nclient_secret = "x"\n'
        'server_metadata_url = "https://login.example.nhs.uk/.well-known/openid-configuration"\n'
        '[access]\neditors = ["ed@example.nhs.uk"]\n'
    )
