-- Latest position of every site in the register as of a date, with spend to date.
-- Counts are cumulative as at the latest known return; spend sums the months.
-- Filters: $region and $cohort, null for all.
with current as (
    select * from current_returns($as_of)
),

latest as (
    select *
    from current
    qualify row_number() over (partition by site_code order by period_end desc) = 1
),

spend as (
    select
        site_code,
        count(*) as returns_known,
        sum(spend_care_gbp) as spend_care_to_date_gbp,
        sum(spend_infrastructure_gbp) as spend_infrastructure_to_date_gbp,
        sum(spend_care_gbp) filter (where period_end >= financial_year_start($as_of::date))
            as spend_care_year_gbp,
        sum(spend_infrastructure_gbp) filter (where period_end >= financial_year_start($as_of::date))
            as spend_infrastructure_year_gbp,
        max(submitted_on) as last_submitted_on
    from current
    group by site_code
),

final as (
    select
        s.site_code,
        s.site_name,
        s.region,
        s.cohort,
        s.care_groups,
        s.go_live,
        s.recruitment_target,
        s.target_date,
        s.direct_payments_from,
        s.withdrawn_on,
        s.dh_funding_gbp,
        case
            when s.withdrawn_on is not null and s.withdrawn_on <= $as_of then 'Withdrawn'
            when s.go_live > $as_of then 'Not live'
            else 'Live'
        end as phase,
        l.period_end as latest_period_end,
        coalesce(l.people_offered, 0) as people_offered,
        coalesce(l.people_recruited, 0) as people_recruited,
        coalesce(l.care_plans_agreed, 0) as care_plans_agreed,
        coalesce(l.budgets_notional, 0) as budgets_notional,
        coalesce(l.budgets_third_party, 0) as budgets_third_party,
        coalesce(l.budgets_direct_payment, 0) as budgets_direct_payment,
        coalesce(l.budgets_total, 0) as budgets_total,
        coalesce(p.spend_care_to_date_gbp, 0) as spend_care_to_date_gbp,
        coalesce(p.spend_infrastructure_to_date_gbp, 0) as spend_infrastructure_to_date_gbp,
        coalesce(p.spend_care_year_gbp, 0) as spend_care_year_gbp,
        coalesce(p.spend_infrastructure_year_gbp, 0) as spend_infrastructure_year_gbp,
        coalesce(p.returns_known, 0) as returns_known,
        p.last_submitted_on
    from sites as s
    left join latest as l on l.site_code = s.site_code
    left join spend as p on p.site_code = s.site_code
    where ($region is null or s.region = $region)
        and ($cohort is null or s.cohort = $cohort)
)

select * from final
order by site_name
