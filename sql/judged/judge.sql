-- Judge the flags on each of a list of days ($dates) by the rules (flags_between, sql/macros/flags.sql)
-- and keep them in the memo, with a row per day judged. Memo.judge passes only days not judged yet (a
-- filter on the memo here made the rules' plan take its days from subqueries: nearly twice as slow).
insert into memory.main.judged_flags
select evaluated_on, site_code, site_name, flag, severity, reason
from flags_between(list_min($dates::date[]), list_min($dates::date[]), $dates::date[])
union all
select unnest($dates::date[]) as evaluated_on, null, null, null, null, null
