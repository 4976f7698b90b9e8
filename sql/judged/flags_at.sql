-- flags_at(days) read from the memo instead of judged again, for the connections whose queries have
-- their days judged first (tracker/judged.py). Made in the opening's in-memory catalog, which those
-- connections search before the database's, so it takes the place of the stored macro for them
-- only, and every macro built on it (flags_now, site_statuses_at, flag_history) reads the memo too.
-- A day not judged first is an error, never an empty answer.
create or replace macro memory.main.flags_at(days) as table
    select j.evaluated_on, j.site_code, j.site_name, j.flag, j.severity, j.reason
    from memory.main.judged_flags as j
    where j.evaluated_on in (select unnest(days::date[])) and j.site_code is not null
    union all
    select
        d.day, null, null, null, null,
        error('the flags on ' || d.day || ' were not judged before a query read them (tracker/judged.py)')
    from (select unnest(days::date[]) as day) as d
    where d.day not in (select evaluated_on from memory.main.judged_flags where site_code is null);
