-- Site facts: what a site's returns that count on a day add up to. facts_between(from_day)
-- gives them for every site and every day from from_day on that a version of one of its
-- returns became known or its register entry changed (the days they can change);
-- tracker/derived.py stores them in site_facts with the day the next change came. facts_on(day) reads the row valid on a day.
-- The lists hold the latest 12 returns, newest first: flag rules may look at up to 12.

create or replace temp macro facts_between(from_day) as table
with days as (
    -- the days a return version became known, and the days a register change took effect
    -- (a new go-live moves which returns count as live)
    select site_code, known_from as valid_from
    from returns
    where known_from >= from_day
    union
    select site_code, effective_from
    from site_versions
    where effective_from >= from_day
),

counting as (
    select
        d.site_code,
        d.valid_from,
        r.period_end,
        r.people_offered,
        r.people_recruited,
        r.care_plans_agreed,
        r.budgets_notional,
        r.budgets_third_party,
        r.budgets_direct_payment,
        r.budgets_notional + r.budgets_third_party + r.budgets_direct_payment as budgets_total,
        r.spend_care_gbp,
        r.spend_infrastructure_gbp,
        r.submitted_on,
        r.period_end >= financial_year_start(d.valid_from) as in_year,
        r.period_end >= last_day(s.go_live) as is_live
    from days as d
    inner join register_spans() as s
        on s.site_code = d.site_code
        and s.valid_from <= d.valid_from
        and s.valid_until > d.valid_from
    inner join returns as r
        on r.site_code = d.site_code
        and r.known_from <= d.valid_from
        and coalesce(r.superseded_from, 'infinity'::date) > d.valid_from  -- no `or`: see flags.sql
    where not r.is_void
)

select
    d.site_code,
    d.valid_from,
    count(c.period_end)::integer as returns_known,
    max(c.period_end) as latest_period_end,
    arg_max(c.people_offered, c.period_end) as people_offered,
    arg_max(c.people_recruited, c.period_end) as people_recruited,
    arg_max(c.care_plans_agreed, c.period_end) as care_plans_agreed,
    arg_max(c.budgets_notional, c.period_end) as budgets_notional,
    arg_max(c.budgets_third_party, c.period_end) as budgets_third_party,
    arg_max(c.budgets_direct_payment, c.period_end) as budgets_direct_payment,
    arg_max(c.budgets_total, c.period_end) as budgets_total,
    min(c.period_end) filter (where c.people_recruited > 0) as first_recruited_period,
    min(c.period_end) filter (where c.budgets_total > 0) as first_budget_period,
    sum(c.spend_care_gbp) as spend_care_to_date_gbp,
    sum(c.spend_infrastructure_gbp) as spend_infrastructure_to_date_gbp,
    financial_year_start(d.valid_from) as year_start,
    sum(c.spend_care_gbp) filter (where c.in_year) as spend_care_year_gbp,
    sum(c.spend_infrastructure_gbp) filter (where c.in_year) as spend_infrastructure_year_gbp,
    max(c.submitted_on) as last_submitted_on,
    arg_max(c.spend_care_gbp::double, c.period_end, 12) as recent_care,
    arg_max(c.people_recruited, c.period_end, 12) filter (where c.is_live) as live_recruited,
    max(c.period_end, 12) filter (where c.is_live) as live_periods
from days as d
left join counting as c using (site_code, valid_from)
group by d.site_code, d.valid_from;

-- Every site's facts on each of a list of days (`as_of`: the day; no row: nothing known yet). The
-- financial-year sums hold only while the day is in the year they cover: a later year starts with
-- nothing known. facts_on(day): one day.
create or replace temp macro facts_at(days) as table
select
    d.as_of,
    f.* exclude (valid_from, valid_until, spend_care_year_gbp, spend_infrastructure_year_gbp),
    case when f.year_start = financial_year_start(d.as_of) then f.spend_care_year_gbp else 0 end
        as spend_care_year_gbp,
    case when f.year_start = financial_year_start(d.as_of) then f.spend_infrastructure_year_gbp else 0 end
        as spend_infrastructure_year_gbp
from (select distinct unnest(days)::date as as_of) as d
inner join site_facts as f
    on f.valid_from <= d.as_of
    and coalesce(f.valid_until, 'infinity'::date) > d.as_of;

create or replace temp macro facts_on(day) as table
    select * exclude (as_of) from facts_at([day::date]);
