-- Judge the flags on each of a list of days ($dates) by the rules (judged_days, sql/macros/flags.sql)
-- and keep them in the memo, with a row per day judged. Memo.judge passes only days not judged yet (a
-- filter on the memo here made the rules' plan take its days from subqueries: nearly twice as slow).
insert into memory.main.judged_flags
select * from judged_days($dates::date[])
