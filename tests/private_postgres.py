"""A private PostgreSQL server for the shared-store tests and benchmarks: its own cluster in a temporary folder.

It listens on a unix socket in that folder only (no TCP), so it neither needs nor disturbs the machine's
own PostgreSQL. ``initdb`` refuses to run as root, so as root the cluster runs as the ``postgres`` user
(Debian's package creates it) and the folder is handed to that user.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg

USER = "tracker"


def postgres_bin() -> Path:
    """The newest installed PostgreSQL's programs (Debian: /usr/lib/postgresql/<major>/bin)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: apt-get install -y postgresql")
    return found[-1].parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgres:
    """Start with ``start()``; ``conninfo(db)`` reaches a database; ``stop()`` (and ``remove()``) end it."""

    def __init__(self, *, durable: bool = False):
        self.bin = postgres_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="tracker-pg-"))
        self.dir.chmod(0o755)  # the server's user must reach its socket and data folders
        self.port = _free_port()
        self.durable = durable  # tests turn fsync off (a crashed test cluster is thrown away anyway)
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.dir, "postgres")
        self._run("initdb", "-D", str(self.dir / "data"), "-A", "trust", "-U", USER, "-E", "UTF8", "--no-sync")

    def _run(self, program: str, *args: str) -> None:
        subprocess.run(
            [str(self.bin / program), *args],
            check=True,
            capture_output=True,
            user="postgres" if self._as_postgres else None,
            cwd=self.dir,
        )

    def start(self) -> PrivatePostgres:
        """Start the server (again) and wait until it answers."""
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=''"
        if not self.durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-w", "-o", options, "-l", str(self.dir / "log"), "start")
        return self

    def stop(self) -> None:
        """Stop the server at once (open sessions are cut)."""
        self._run("pg_ctl", "-D", str(self.dir / "data"), "-w", "-m", "fast", "stop")

    def remove(self) -> None:
        """Stop the server if it runs and delete its folder."""
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def conninfo(self, dbname: str) -> str:
        """A libpq connection string for one database (no password: the cluster trusts its socket)."""
        return f"dbname={dbname} host={self.dir} port={self.port} user={USER}"

    def create_database(self, name: str) -> str:
        """A new, empty database; gives its connection string."""
        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as con:
            con.execute(f'create database "{name}"')
        return self.conninfo(name)

    def lake(self, name: str) -> str:
        """A new database for a DuckLake catalog; gives the store's locator (``--db``)."""
        return "ducklake:postgres:" + self.create_database(name)

    def clone_lake(self, template: str, template_data: Path, name: str, data: Path) -> str:
        """A copy of a lake (its catalog database and its data folder) that nothing else uses; gives its locator.

        DuckLake keeps file paths relative to the data folder named in its metadata, so the copy's
        metadata is pointed at the copied folder. The template must have no open sessions.
        """
        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as con:
            con.execute(f'create database "{name}" template "{template}"')
        shutil.copytree(template_data, data)
        with psycopg.connect(self.conninfo(name), autocommit=True) as con:
            con.execute("update ducklake_metadata set value = %s where key = 'data_path'", (f"{data}/",))
        return "ducklake:postgres:" + self.conninfo(name)
