-- What an incoming file is compared with: the latest loaded version (void or not) of every
-- return of the sites in the registered relation `incoming_keys` (site_code, period_end) for
-- the months the file covers, and the latest $history months with a return (not void) before its
-- first month for the site (what the data-quality checks read, however gappy the history).
-- Months after the file's are not needed. The latest loaded version is the one no later version
-- superseded (superseded_from is null).
with bounds as (
    select site_code, min(period_end) as first_in, max(period_end) as last_in
    from incoming_keys
    group by site_code
),

latest as (
    select r.*, b.first_in
    from returns as r
    inner join bounds as b using (site_code)
    where r.superseded_from is null
        and r.period_end <= b.last_in
        and (r.period_end >= b.first_in or not r.is_void)
)

select * exclude (first_in, known_from, superseded_from)
from latest
qualify period_end >= first_in
    or row_number() over (partition by site_code, period_end < first_in order by period_end desc) <= $history
order by site_code, period_end
