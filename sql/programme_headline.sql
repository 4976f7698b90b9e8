-- The programme's headline figures as of a date, in one row: sites by status,
-- recruitment against the live sites' targets, budgets by type, and spend to date
-- (since the start and in the NHS financial year). Withdrawn sites leave the totals
-- from their withdrawal date. Filters: $region, $cohort.
with sites_now as (
    select p.*, st.status
    from site_positions($as_of) as p
    inner join site_statuses($as_of) as st using (site_code)
    where ($region is null or p.region = $region)
        and ($cohort is null or p.cohort = $cohort)
),

counted as (
    select * from sites_now where status <> 'Withdrawn'
)

select
    $as_of::date as as_of,
    (select count(*) from sites_now) as sites_registered,
    (select count(*) from sites_now where phase = 'Live') as sites_live,
    (select count(*) from sites_now where status = 'Stalled') as sites_stalled,
    (select count(*) from sites_now where status = 'At risk') as sites_at_risk,
    (select count(*) from sites_now where status = 'On track') as sites_on_track,
    (select count(*) from sites_now where status = 'Not live') as sites_not_live,
    (select count(*) from sites_now where status = 'Withdrawn') as sites_withdrawn,
    coalesce(sum(recruitment_target) filter (where phase = 'Live'), 0)::bigint as recruitment_target,
    coalesce(sum(people_offered), 0)::bigint as people_offered,
    coalesce(sum(people_recruited), 0)::bigint as people_recruited,
    coalesce(sum(care_plans_agreed), 0)::bigint as care_plans_agreed,
    coalesce(sum(budgets_notional), 0)::bigint as budgets_notional,
    coalesce(sum(budgets_third_party), 0)::bigint as budgets_third_party,
    coalesce(sum(budgets_direct_payment), 0)::bigint as budgets_direct_payment,
    coalesce(sum(budgets_total), 0)::bigint as budgets_total,
    coalesce(sum(spend_care_to_date_gbp), 0) as spend_care_to_date_gbp,
    coalesce(sum(spend_infrastructure_to_date_gbp), 0) as spend_infrastructure_to_date_gbp,
    coalesce(sum(spend_care_year_gbp), 0) as spend_care_year_gbp,
    coalesce(sum(spend_infrastructure_year_gbp), 0) as spend_infrastructure_year_gbp,
    financial_year_start($as_of::date) as financial_year_start,
    max(last_submitted_on) as data_received_up_to
from counted
