-- The programme's headline figures on each of a list of days ($dates; a row for each, in that order):
-- sites by status, recruitment against the live sites' targets, budgets by type, and spend to date
-- (since the start and in the NHS financial year). Withdrawn sites leave the totals from their
-- withdrawal date. All the days are judged in one pass. Filters: $region, $cohort.
with days as (
    -- a day asked for twice gets its row twice
    select unnest($dates::date[]) as as_of, generate_subscripts($dates::date[], 1) as position
),

sites_then as (
    select p.*, st.status
    from site_positions_at($dates::date[]) as p
    inner join site_statuses_at($dates::date[]) as st using (as_of, site_code)
    where ($region is null or p.region = $region)
        and ($cohort is null or p.cohort = $cohort)
),

figures as (
    select
        as_of,
        count(*) as sites_registered,
        count(*) filter (where phase = 'Live') as sites_live,
        count(*) filter (where status = 'Stalled') as sites_stalled,
        count(*) filter (where status = 'At risk') as sites_at_risk,
        count(*) filter (where status = 'On track') as sites_on_track,
        count(*) filter (where status = 'Not live') as sites_not_live,
        count(*) filter (where status = 'Withdrawn') as sites_withdrawn,
        -- the totals leave withdrawn sites out
        sum(recruitment_target) filter (where phase = 'Live' and status <> 'Withdrawn') as recruitment_target,
        sum(people_offered) filter (where status <> 'Withdrawn') as people_offered,
        sum(people_recruited) filter (where status <> 'Withdrawn') as people_recruited,
        sum(care_plans_agreed) filter (where status <> 'Withdrawn') as care_plans_agreed,
        sum(budgets_notional) filter (where status <> 'Withdrawn') as budgets_notional,
        sum(budgets_third_party) filter (where status <> 'Withdrawn') as budgets_third_party,
        sum(budgets_direct_payment) filter (where status <> 'Withdrawn') as budgets_direct_payment,
        sum(budgets_total) filter (where status <> 'Withdrawn') as budgets_total,
        sum(spend_care_to_date_gbp) filter (where status <> 'Withdrawn') as spend_care_to_date_gbp,
        sum(spend_infrastructure_to_date_gbp) filter (where status <> 'Withdrawn') as spend_infrastructure_to_date_gbp,
        sum(spend_care_year_gbp) filter (where status <> 'Withdrawn') as spend_care_year_gbp,
        sum(spend_infrastructure_year_gbp) filter (where status <> 'Withdrawn') as spend_infrastructure_year_gbp,
        max(last_submitted_on) filter (where status <> 'Withdrawn') as data_received_up_to
    from sites_then
    group by as_of
)

select
    d.as_of,
    coalesce(f.sites_registered, 0) as sites_registered,
    coalesce(f.sites_live, 0) as sites_live,
    coalesce(f.sites_stalled, 0) as sites_stalled,
    coalesce(f.sites_at_risk, 0) as sites_at_risk,
    coalesce(f.sites_on_track, 0) as sites_on_track,
    coalesce(f.sites_not_live, 0) as sites_not_live,
    coalesce(f.sites_withdrawn, 0) as sites_withdrawn,
    coalesce(f.recruitment_target, 0)::bigint as recruitment_target,
    coalesce(f.people_offered, 0)::bigint as people_offered,
    coalesce(f.people_recruited, 0)::bigint as people_recruited,
    coalesce(f.care_plans_agreed, 0)::bigint as care_plans_agreed,
    coalesce(f.budgets_notional, 0)::bigint as budgets_notional,
    coalesce(f.budgets_third_party, 0)::bigint as budgets_third_party,
    coalesce(f.budgets_direct_payment, 0)::bigint as budgets_direct_payment,
    coalesce(f.budgets_total, 0)::bigint as budgets_total,
    coalesce(f.spend_care_to_date_gbp, 0) as spend_care_to_date_gbp,
    coalesce(f.spend_infrastructure_to_date_gbp, 0) as spend_infrastructure_to_date_gbp,
    coalesce(f.spend_care_year_gbp, 0) as spend_care_year_gbp,
    coalesce(f.spend_infrastructure_year_gbp, 0) as spend_infrastructure_year_gbp,
    financial_year_start(d.as_of) as financial_year_start,
    f.data_received_up_to
from days as d
left join figures as f using (as_of)
order by d.position
