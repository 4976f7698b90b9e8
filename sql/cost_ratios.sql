-- Cost ratios of every site as of a date: care and infrastructure spend to date
-- per person with a budget and per person recruited, and spend against DH funding.
-- A ratio over zero people is null, not zero. Filters: $region, $cohort.
with base as (
    select
        site_code,
        site_name,
        region,
        cohort,
        dh_funding_gbp,
        people_recruited,
        budgets_total,
        spend_care_to_date_gbp,
        spend_infrastructure_to_date_gbp
    from site_positions($as_of)
    where ($region is null or region = $region)
        and ($cohort is null or cohort = $cohort)
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
