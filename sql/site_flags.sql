-- Every stall flag raised as of a date, worst first, with its reason and since when:
-- the first evaluation date (month ends, and the as-of date) from which it has been
-- raised at every evaluation up to the as-of date. Filters: $region, $cohort.
with history as (
    select * from flag_history($as_of, date '1900-01-01')
),

now_raised as (
    select * from history where evaluated_on = $as_of::date
),

last_clear as (
    -- the latest evaluation before the as-of date at which the flag was not raised
    select n.site_code, n.flag, max(e.evaluated_on) as cleared_on
    from now_raised as n
    cross join all_evaluation_dates($as_of) as e
    left join history as h
        on h.site_code = n.site_code and h.flag = n.flag and h.evaluated_on = e.evaluated_on
    where h.flag is null
    group by n.site_code, n.flag
),

since as (
    select h.site_code, h.flag, min(h.evaluated_on) as since
    from history as h
    inner join now_raised as n using (site_code, flag)
    left join last_clear as c using (site_code, flag)
    where c.cleared_on is null or h.evaluated_on > c.cleared_on
    group by h.site_code, h.flag
),

final as (
    select
        n.site_code,
        n.site_name,
        s.region,
        s.cohort,
        n.flag,
        n.severity,
        si.since,
        n.reason
    from now_raised as n
    inner join since as si using (site_code, flag)
    inner join sites as s using (site_code)
    where ($region is null or s.region = $region)
        and ($cohort is null or s.cohort = $cohort)
)

select * from final
order by
    case severity when 'red' then 0 else 1 end,
    since,
    site_name,
    flag
