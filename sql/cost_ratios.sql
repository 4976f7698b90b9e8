-- Cost ratios of every site as of a date: care and infrastructure spend to date
-- per person with a budget and per person recruited, and spend against DH funding.
-- A ratio over zero people is null, not zero. Filters: $region, $cohort.
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
        sum(spend_care_gbp) as spend_care_gbp,
        sum(spend_infrastructure_gbp) as spend_infrastructure_gbp
    from current
    group by site_code
),

base as (
    select
        s.site_code,
        s.site_name,
        s.region,
        s.cohort,
        s.dh_funding_gbp,
        coalesce(l.people_recruited, 0) as people_recruited,
        coalesce(l.budgets_total, 0) as budgets_total,
        coalesce(p.spend_care_gbp, 0) as spend_care_to_date_gbp,
        coalesce(p.spend_infrastructure_gbp, 0) as spend_infrastructure_to_date_gbp
    from sites as s
    left join latest as l on l.site_code = s.site_code
    left join spend as p on p.site_code = s.site_code
    where ($region is null or s.region = $region)
        and ($cohort is null or s.cohort = $cohort)
),

final as (
    select
        *,
        spend_care_to_date_gbp / nullif(budgets_total, 0) as care_per_budget_gbp,
        spend_infrastructure_to_date_gbp / nullif(budgets_total, 0) as infrastructure_per_budget_gbp,
        spend_care_to_date_gbp / nullif(people_recruited, 0) as care_per_recruit_gbp,
        spend_infrastructure_to_date_gbp / nullif(people_recruited, 0) as infrastructure_per_recruit_gbp,
        spend_care_to_date_gbp + spend_infrastructure_to_date_gbp as spend_total_gbp,
        (spend_care_to_date_gbp + spend_infrastructure_to_date_gbp) / nullif(dh_funding_gbp, 0)
            as spend_to_funding_ratio
    from base
)

select * from final
order by site_name
