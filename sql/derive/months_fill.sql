-- Derive the month states (return_months) of every site-month with a version numbered
-- $first_return_id or later (0: all of them): one row for each day a version of the month became
-- known, with what the versions known on that day add up to, valid until the next such day. A
-- version counts on a day from the day it became known until it was superseded (returns.known_from,
-- superseded_from: sql/derive/supersession.sql, run first).
insert into return_months by name
with touched as (
    select distinct site_code, period_end from returns where return_id >= $first_return_id
),

versions as (
    select r.site_code, r.period_end, r.known_from, r.superseded_from, r.submitted_on, r.is_void
    from returns as r
    semi join touched using (site_code, period_end)
),

days as (
    select
        site_code,
        period_end,
        valid_from,
        lead(valid_from) over (partition by site_code, period_end order by valid_from) as valid_until
    from (select distinct site_code, period_end, known_from as valid_from from versions)
)

select
    d.site_code,
    d.period_end,
    d.valid_from,
    d.valid_until,
    count(*) as versions_known,
    min(v.submitted_on) as first_submitted_on,
    bool_or(v.submitted_on is null) as any_undated,
    bool_or(not v.is_void and coalesce(v.superseded_from, 'infinity'::date) > d.valid_from) as counts
from days as d
inner join versions as v
    on v.site_code = d.site_code
    and v.period_end = d.period_end
    and v.known_from <= d.valid_from
group by d.site_code, d.period_end, d.valid_from, d.valid_until
