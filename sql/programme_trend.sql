-- Programme totals at every month end up to a date, as known on that date.
-- A site that sent no return for a month counts at its last known position
-- (counts are cumulative); spend is what was reported for the month itself.
-- Sites count from their go-live month until they withdraw (the register in effect on the date).
-- Filters: $region and $cohort, null for all.
-- Built from steps, not from every site at every month: each return adds what its counts
-- rose (or fell) by since the site's previous return, a withdrawal takes the site's last
-- counts away, and the running sum over the months gives the totals.
with scope as (
    select site_code, go_live, withdrawn_on, recruitment_target
    from sites_on($as_of)
    where ($region is null or region = $region)
        and ($cohort is null or cohort = $cohort)
),

current as (
    select r.*, s.withdrawn_on
    from current_returns($as_of) as r
    inner join scope as s using (site_code)
),

counted as (
    -- the returns that can be a site's position: those for months before it withdrew
    select * from current where withdrawn_on is null or period_end < withdrawn_on
),

last_counts as (
    select
        site_code,
        arg_max(people_recruited, period_end) as people_recruited,
        arg_max(care_plans_agreed, period_end) as care_plans_agreed,
        arg_max(budgets_notional, period_end) as budgets_notional,
        arg_max(budgets_third_party, period_end) as budgets_third_party,
        arg_max(budgets_direct_payment, period_end) as budgets_direct_payment,
        arg_max(budgets_total, period_end) as budgets_total
    from counted
    group by site_code
),

steps as (
    select
        period_end as month_end,
        people_recruited - coalesce(lag(people_recruited) over w, 0) as people_recruited,
        care_plans_agreed - coalesce(lag(care_plans_agreed) over w, 0) as care_plans_agreed,
        budgets_notional - coalesce(lag(budgets_notional) over w, 0) as budgets_notional,
        budgets_third_party - coalesce(lag(budgets_third_party) over w, 0) as budgets_third_party,
        budgets_direct_payment - coalesce(lag(budgets_direct_payment) over w, 0) as budgets_direct_payment,
        budgets_total - coalesce(lag(budgets_total) over w, 0) as budgets_total,
        0 as sites_live,
        0 as recruitment_target
    from counted
    window w as (partition by site_code order by period_end)

    union all
    -- a withdrawn site leaves the totals at the first month end on or after it withdrew
    select
        last_day(s.withdrawn_on),
        -l.people_recruited,
        -l.care_plans_agreed,
        -l.budgets_notional,
        -l.budgets_third_party,
        -l.budgets_direct_payment,
        -l.budgets_total,
        0,
        0
    from scope as s
    inner join last_counts as l using (site_code)
    where s.withdrawn_on is not null

    union all
    -- a site is live (and its target counts) from the month end after it went live until it withdraws
    select last_day(go_live), 0, 0, 0, 0, 0, 0, 1, recruitment_target
    from scope
    where withdrawn_on is null or withdrawn_on > go_live

    union all
    select last_day(withdrawn_on), 0, 0, 0, 0, 0, 0, -1, -recruitment_target
    from scope
    where withdrawn_on > go_live
),

by_month as (
    select
        month_end,
        sum(people_recruited) as people_recruited,
        sum(care_plans_agreed) as care_plans_agreed,
        sum(budgets_notional) as budgets_notional,
        sum(budgets_third_party) as budgets_third_party,
        sum(budgets_direct_payment) as budgets_direct_payment,
        sum(budgets_total) as budgets_total,
        sum(sites_live) as sites_live,
        sum(recruitment_target) as recruitment_target
    from steps
    group by month_end
),

in_month as (
    select
        period_end as month_end,
        sum(spend_care_gbp) as spend_care_gbp,
        sum(spend_infrastructure_gbp) as spend_infrastructure_gbp,
        count(*) as returns_received
    from current
    group by period_end
),

months as (
    -- every month end from the earliest step, or the first month any return covers, to the as-of date
    select last_day(m::date) as month_end
    from generate_series(
        (
            select date_trunc('month', min(month_end))
            from (
                select month_end from by_month
                union all
                select min(period_end) from returns
            )
        ),
        date_trunc('month', $as_of::date),
        interval 1 month
    ) as g(m)
    where last_day(m::date) <= $as_of
),

running as (
    select
        m.month_end,
        coalesce(sum(b.sites_live) over w, 0)::bigint as sites_live,
        coalesce(sum(b.recruitment_target) over w, 0)::bigint as recruitment_target,
        coalesce(sum(b.people_recruited) over w, 0)::bigint as people_recruited,
        coalesce(sum(b.care_plans_agreed) over w, 0)::bigint as care_plans_agreed,
        coalesce(sum(b.budgets_notional) over w, 0)::bigint as budgets_notional,
        coalesce(sum(b.budgets_third_party) over w, 0)::bigint as budgets_third_party,
        coalesce(sum(b.budgets_direct_payment) over w, 0)::bigint as budgets_direct_payment,
        coalesce(sum(b.budgets_total) over w, 0)::bigint as budgets_total,
        coalesce(i.returns_received, 0) as returns_received,
        coalesce(i.spend_care_gbp, 0) as spend_care_gbp,
        coalesce(i.spend_infrastructure_gbp, 0) as spend_infrastructure_gbp,
        sum(coalesce(i.spend_care_gbp, 0)) over w as spend_care_to_date_gbp,
        sum(coalesce(i.spend_infrastructure_gbp, 0)) over w as spend_infrastructure_to_date_gbp
    from months as m
    left join by_month as b using (month_end)
    left join in_month as i using (month_end)
    window w as (order by m.month_end rows between unbounded preceding and current row)
)

-- the months from the first month any return covers
select *
from running
where month_end >= (select last_day(min(period_end)) from returns)
order by month_end
