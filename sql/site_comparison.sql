-- One row per site for the comparison table: position, status, trajectory and
-- cost ratios as of a date. Filters: $region, $cohort (null for all).
select
    p.*,
    st.status,
    st.flag_names,
    p.people_recruited / nullif(p.expected_by_now, 0) as share_of_trajectory,
    p.spend_infrastructure_to_date_gbp / nullif(p.budgets_total, 0) as infrastructure_per_budget_gbp,
    p.spend_care_to_date_gbp / nullif(p.budgets_total, 0) as care_per_budget_gbp,
    (p.spend_care_to_date_gbp + p.spend_infrastructure_to_date_gbp) / nullif(p.dh_funding_gbp, 0)
        as spend_to_funding_ratio,
    coalesce(p.direct_payments_from <= $as_of, false) as direct_payments_authorised
from site_positions($as_of) as p
inner join site_statuses($as_of) as st using (site_code)
where ($region is null or p.region = $region)
    and ($cohort is null or p.cohort = $cohort)
order by p.site_name
