-- The programme by region as of a date: sites by status, recruitment against the
-- live sites' targets, budgets and spend. Withdrawn sites are left out of the totals.
-- Filter: $cohort.
with sites_now as (
    select p.*, st.status
    from site_positions($as_of) as p
    inner join site_statuses($as_of) as st using (site_code)
    where $cohort is null or p.cohort = $cohort
),

final as (
    select
        region,
        count(*) filter (where status <> 'Withdrawn') as sites,
        count(*) filter (where status = 'Stalled') as stalled,
        count(*) filter (where status = 'At risk') as at_risk,
        count(*) filter (where status = 'On track') as on_track,
        count(*) filter (where status = 'Not live') as not_live,
        sum(people_recruited) filter (where status <> 'Withdrawn')::bigint as people_recruited,
        coalesce(sum(recruitment_target) filter (where phase = 'Live'), 0)::bigint as recruitment_target,
        sum(budgets_total) filter (where status <> 'Withdrawn')::bigint as budgets_total,
        sum(spend_care_to_date_gbp) filter (where status <> 'Withdrawn') as spend_care_to_date_gbp,
        sum(spend_infrastructure_to_date_gbp) filter (where status <> 'Withdrawn') as spend_infrastructure_to_date_gbp
    from sites_now
    group by region
)

select
    *,
    spend_infrastructure_to_date_gbp / nullif(budgets_total, 0) as infrastructure_per_budget_gbp
from final
order by region
