-- One site's straight-line recruitment trajectory, from go-live to the later of its target date and
-- $as_of: at every month end (and at go-live) the people expected then, by the register entry in
-- effect on that day (after $as_of, the one in effect on $as_of): a re-baselined target or a moved
-- go-live bends the line where it took effect.
with spans as (
    select * from register_spans() where site_code = $site_code and valid_from <= $as_of::date
),

days as (
    select last_day(g.m::date) as day
    from generate_series(
        (select date_trunc('month', min(go_live)) from spans),
        (select date_trunc('month', greatest(max(target_date), $as_of::date)) from spans),
        interval 1 month
    ) as g(m)
    union
    select go_live from spans
    union
    select valid_from from spans where valid_from > '-infinity'::date
)

select
    d.day as period_end,
    s.recruitment_target,
    s.recruitment_target * least(
        1.0, datediff('day', s.go_live, d.day) / greatest(1, datediff('day', s.go_live, s.target_date))
    ) as people
from days as d
inner join spans as s
    on s.valid_from <= least(d.day, $as_of::date)
    and s.valid_until > least(d.day, $as_of::date)
where d.day >= s.go_live
order by d.day
