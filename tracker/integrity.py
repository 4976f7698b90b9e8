"""Integrity checks: queries in sql/checks that return the offending rows (none is a pass)."""

from __future__ import annotations

from tracker import queries
from tracker.store import Store

CHECKS = {
    "checks/returns_without_accepted_load": "return versions that no accepted load brought",
    "checks/loads_half_written": "accepted loads whose stored rows differ from the load log",
    "checks/warnings_without_return": "warnings on return versions that do not exist",
    "checks/file_loaded_twice": "the same file accepted more than once",
    "checks/ids_used_twice": "ids given to more than one row",
    "checks/return_version_stored_twice": "site-months stored more than once by one load",
    "checks/keys_twice": "settings held twice",
    "checks/values_not_accepted": "values outside the accepted sets (load kind, outcome, cohort)",
    "checks/returns_of_unknown_sites": "return versions of sites not in the register",
    "checks/history_unrecorded": "register or rule versions no accepted load records, or no rules from the start",
    "checks/derived_spans": "return versions whose known/superseded dates differ from a fresh derivation",
    "checks/derived_months": "month states (versions known of each return) that differ from a fresh derivation",
    "checks/derived_facts": "site facts that differ from a fresh derivation",
    "checks/derived_flag_log": "month-end flags in the log that differ from the rules applied afresh",
    "checks/derived_first_visit_flags": "flags kept for the first visit that differ from the rules applied afresh",
}


def check(store: Store) -> list[str]:
    """Every integrity problem found, in plain words; an empty list means the database is sound."""
    problems = []
    with store.read() as con:
        for name, meaning in CHECKS.items():
            rows = queries.frame(con, name)
            if not rows.empty:
                problems.append(f"{len(rows)} {meaning}: {rows.head(5).to_dict('records')}")
    return problems
