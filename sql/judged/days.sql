-- The days the memo holds (a row with no site marks each day judged: sql/judged/create.sql).
select evaluated_on from memory.main.judged_flags where site_code is null
