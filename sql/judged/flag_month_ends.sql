-- flag_month_ends(since, until) for the connections whose queries have their days judged first
-- (tracker/judged.py): the flag log as far as it is usable, and the month ends beyond it from the memo
-- (Memo judges every month end before a query's as_of that the log lacks), so that no query plans the
-- rules again for month ends that are nearly always none. Made in the opening's in-memory catalog,
-- like flags_at (sql/judged/flags_at.sql), and so read by flag_history too.
create or replace macro memory.main.flag_month_ends(since, until) as table
    select l.evaluated_on, l.site_code, s.site_name, l.flag, l.severity, l.reason
    from flag_log as l
    inner join register_spans() as s
        on s.site_code = l.site_code
        and s.valid_from <= l.evaluated_on
        and s.valid_until > l.evaluated_on
    where l.evaluated_on >= since::date
        and l.evaluated_on <= until::date
        and l.evaluated_on <= (select usable_through from memory.main.flag_log_state)
    union all
    select * from memory.main.flags_at((
        select coalesce(list(evaluated_on), [])
        from evaluation_days(greatest(since::date, (select usable_through from memory.main.flag_log_state) + 1), until, null)
    ));
