-- Every site's position on each of a list of days (`as_of`: the day): its latest known return's
-- cumulative counts, its spend to date (since the start, and in the NHS financial year), and where
-- it stands against its straight-line recruitment trajectory (the register entry in effect then).
-- site_positions(as_of): one day.

create or replace temp macro site_positions_at(days) as table
select
    d.as_of,
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
        when s.withdrawn_on is not null and s.withdrawn_on <= d.as_of then 'Withdrawn'
        when s.go_live > d.as_of then 'Not live'
        else 'Live'
    end as phase,
    p.latest_period_end,
    coalesce(p.people_offered, 0) as people_offered,
    coalesce(p.people_recruited, 0) as people_recruited,
    coalesce(p.care_plans_agreed, 0) as care_plans_agreed,
    coalesce(p.budgets_notional, 0) as budgets_notional,
    coalesce(p.budgets_third_party, 0) as budgets_third_party,
    coalesce(p.budgets_direct_payment, 0) as budgets_direct_payment,
    coalesce(p.budgets_total, 0) as budgets_total,
    coalesce(p.spend_care_to_date_gbp, 0) as spend_care_to_date_gbp,
    coalesce(p.spend_infrastructure_to_date_gbp, 0) as spend_infrastructure_to_date_gbp,
    coalesce(p.spend_care_year_gbp, 0) as spend_care_year_gbp,
    coalesce(p.spend_infrastructure_year_gbp, 0) as spend_infrastructure_year_gbp,
    coalesce(p.returns_known, 0) as returns_known,
    p.last_submitted_on,
    -- people expected by now on a straight line from go-live to the target date
    case when s.go_live <= d.as_of then
        s.recruitment_target * least(
            1.0, datediff('day', s.go_live, d.as_of) / greatest(1, datediff('day', s.go_live, s.target_date))
        )
    end as expected_by_now
from (select distinct unnest(days)::date as as_of) as d
inner join site_version_spans as s on s.valid_from <= d.as_of and s.valid_until > d.as_of
left join facts_at(days) as p on p.as_of = d.as_of and p.site_code = s.site_code;

create or replace temp macro site_positions(as_of) as table
    select * exclude (as_of) from site_positions_at([as_of::date]);
