-- Every stall flag raised as of a date, worst first, with its reason and since when:
-- the first evaluation date (month ends, and the as-of date) from which it has been
-- raised at every evaluation up to the as-of date. Filters: $region, $cohort.
with now_raised as (
    select f.*, s.region, s.cohort
    from flags_now($as_of) as f
    inner join sites_on($as_of) as s using (site_code)
    where ($region is null or s.region = $region)
        and ($cohort is null or s.cohort = $cohort)
),

earlier as (
    -- the month ends before the as-of date at which the flags raised now were raised too,
    -- numbered so that a run of consecutive month ends shares one `run`
    select
        h.site_code,
        h.flag,
        h.evaluated_on,
        datediff('month', date '2000-01-31', h.evaluated_on)
        - row_number() over (partition by h.site_code, h.flag order by h.evaluated_on) as run
    from flag_month_ends(date '1900-01-01', previous_month_end($as_of::date)) as h
    semi join now_raised as n using (site_code, flag)
),

unbroken as (
    -- the run that reaches the last month end before the as-of date
    select site_code, flag, min(evaluated_on) as since
    from earlier
    group by site_code, flag, run
    having max(evaluated_on) = previous_month_end($as_of::date)
)

select
    n.site_code,
    n.site_name,
    n.region,
    n.cohort,
    n.flag,
    n.severity,
    coalesce(u.since, $as_of::date) as since,
    n.reason
from now_raised as n
left join unbroken as u using (site_code, flag)
order by
    case n.severity when 'red' then 0 else 1 end,
    since,
    n.site_name,
    n.flag
