-- Programme totals at every month end up to a date, as known on that date.
-- A site that sent no return for a month counts at its last known position
-- (counts are cumulative); spend is what was reported for the month itself.
-- Sites count from their go-live month until they withdraw.
-- Filters: $region and $cohort, null for all.
with months as (
    select last_day(m::date) as month_end
    from generate_series(
        (select date_trunc('month', min(period_end)) from returns),
        date_trunc('month', $as_of::date),
        interval 1 month
    ) as g(m)
    where last_day(m::date) <= $as_of
),

site_months as (
    select m.month_end, s.site_code, s.recruitment_target
    from months as m
    cross join sites as s
    where ($region is null or s.region = $region)
        and ($cohort is null or s.cohort = $cohort)
        and (s.withdrawn_on is null or s.withdrawn_on > m.month_end)
),

current as (
    select * from current_returns($as_of)
),

positions as (
    select
        sm.month_end,
        sm.site_code,
        sm.recruitment_target,
        r.people_recruited,
        r.care_plans_agreed,
        r.budgets_notional,
        r.budgets_third_party,
        r.budgets_direct_payment,
        r.budgets_total
    from site_months as sm
    asof left join current as r
        on r.site_code = sm.site_code and r.period_end <= sm.month_end
),

live as (
    select p.*, s.go_live <= p.month_end as is_live
    from positions as p
    inner join sites as s on s.site_code = p.site_code
),

in_month as (
    select
        period_end as month_end,
        sum(spend_care_gbp) as spend_care_gbp,
        sum(spend_infrastructure_gbp) as spend_infrastructure_gbp,
        count(*) as returns_received
    from current
    where site_code in (select site_code from site_months)
    group by period_end
),

totals as (
    select
        month_end,
        count(*) filter (where is_live) as sites_live,
        coalesce(sum(recruitment_target) filter (where is_live), 0)::bigint as recruitment_target,
        coalesce(sum(people_recruited), 0)::bigint as people_recruited,
        coalesce(sum(care_plans_agreed), 0)::bigint as care_plans_agreed,
        coalesce(sum(budgets_notional), 0)::bigint as budgets_notional,
        coalesce(sum(budgets_third_party), 0)::bigint as budgets_third_party,
        coalesce(sum(budgets_direct_payment), 0)::bigint as budgets_direct_payment,
        coalesce(sum(budgets_total), 0)::bigint as budgets_total
    from live
    group by month_end
),

final as (
    select
        t.*,
        coalesce(i.returns_received, 0) as returns_received,
        coalesce(i.spend_care_gbp, 0) as spend_care_gbp,
        coalesce(i.spend_infrastructure_gbp, 0) as spend_infrastructure_gbp,
        sum(coalesce(i.spend_care_gbp, 0)) over w as spend_care_to_date_gbp,
        sum(coalesce(i.spend_infrastructure_gbp, 0)) over w as spend_infrastructure_to_date_gbp
    from totals as t
    left join in_month as i on i.month_end = t.month_end
    window w as (order by t.month_end rows between unbounded preceding and current row)
)

select * from final
order by month_end
