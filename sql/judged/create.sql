-- This process's memo of judged flags for one opening of a database file (tracker/judged.py):
-- a row per flag raised on a day, and a row with no site for each day judged (so that a day with
-- no flag raised is told apart from a day never judged). In the opening's own in-memory catalog,
-- shaped as the flags a write keeps for a first visit, which seed it (a memo is made only on a store
-- whose schema is this code's: tracker/store/base.py prepare_shared).
create table memory.main.judged_flags as select * from first_visit_flags limit 0
