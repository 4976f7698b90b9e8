-- This process's memo of judged flags for one opening of a database file (tracker/judged.py):
-- a row per flag raised on a day, and a row with no site for each day judged (so that a day with
-- no flag raised is told apart from a day never judged). In the opening's own in-memory catalog.
create table memory.main.judged_flags (
    evaluated_on date not null,
    site_code varchar,
    site_name varchar,
    flag varchar,
    severity varchar,
    reason varchar
)
