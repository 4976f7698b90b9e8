-- Every site's position as of a date: its latest known return's cumulative counts,
-- its spend to date (since the start, and in the NHS financial year), and where it
-- stands against its straight-line recruitment trajectory.

create or replace temp macro site_positions(as_of) as table
with current as (
    select * from current_returns(as_of)
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
        sum(spend_care_gbp) filter (where period_end >= financial_year_start(as_of::date)) as spend_care_year_gbp,
        sum(spend_infrastructure_gbp) filter (where period_end >= financial_year_start(as_of::date))
            as spend_infrastructure_year_gbp,
        max(submitted_on) as last_submitted_on
    from current
    group by site_code
)

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
    s.contact_name,
    s.contact_email,
    case
        when s.withdrawn_on is not null and s.withdrawn_on <= as_of then 'Withdrawn'
        when s.go_live > as_of then 'Not live'
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
    p.last_submitted_on,
    -- people expected by now on a straight line from go-live to the target date
    case when s.go_live <= as_of then
        s.recruitment_target * least(
            1.0, datediff('day', s.go_live, as_of::date) / greatest(1, datediff('day', s.go_live, s.target_date))
        )
    end as expected_by_now
from sites as s
left join latest as l on l.site_code = s.site_code
left join spend as p on p.site_code = s.site_code;
