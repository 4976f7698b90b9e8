"""The documents promise what the code does: every column documented, the README's commands are CI's."""

from __future__ import annotations

import re

from conftest import ROOT

from tracker import contract
from tracker.store import FileStore

DICTIONARY = (ROOT / "docs" / "returns.md").read_text()


def test_every_contract_column_is_in_the_data_dictionary_with_its_unit():
    for col in (*contract.REGISTER_COLUMNS, *contract.RETURN_COLUMNS):
        row = re.search(rf"^\| `{col.name}` \| (yes|no) \| ([^|]+) \|", DICTIONARY, re.MULTILINE)
        assert row, f"{col.name} is not documented in docs/returns.md"
        assert row.group(1) == ("yes" if col.required else "no"), col.name
        assert row.group(2).strip() == col.unit.strip(), col.name


def test_every_column_of_every_table_is_documented(tmp_path):
    store = FileStore(tmp_path / "schema.duckdb")
    columns = store.write(
        lambda con: con.execute(
            "select table_name, column_name from information_schema.columns where table_schema = 'main' and table_catalog = current_database()"
        ).fetchall()
    )
    missing = [f"{t}.{c}" for t, c in columns if f"`{c}`" not in DICTIONARY]
    assert missing == []
    tables = {t for t, _ in columns}
    assert all(f"`{t}`" in DICTIONARY for t in tables)


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.+?)\n```", readme, re.DOTALL)
    test_command = next(b for b in blocks if "pytest" in b)
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci


def test_readme_run_command_starts_the_dashboard():
    readme = (ROOT / "README.md").read_text()
    assert "pip install -r requirements.txt && .venv/bin/streamlit run dashboard.py" in readme


def test_readme_gives_the_hash_of_the_script_the_server_adds_to_each_page():
    # for a proxy's Content-Security-Policy (README, "Shared deployment"); the hash follows the script
    from pages._address import script_hash

    assert script_hash() in (ROOT / "README.md").read_text()
