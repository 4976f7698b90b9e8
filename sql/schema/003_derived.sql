-- Derived data, kept up to date by every write (tracker/derived.py) so that reads stay
-- fast at national scale. Nothing here is new information: all of it can be rebuilt
-- from the tables above (`python -m tracker check` compares it with a fresh derivation).

-- When each return version counts: from the day it became known (its month has ended
-- and it has been sent) until the day a later-loaded version of the same month became
-- known. A version superseded before it was known never counts.
alter table returns add column if not exists known_from date;
alter table returns add column if not exists superseded_from date;

update returns
set known_from = greatest(period_end, coalesce(submitted_on, period_end));

update returns as r
set superseded_from = v.superseded_from
from (
    select
        return_id,
        min(known_from) over (
            partition by site_code, period_end order by return_id
            rows between 1 following and unbounded following
        ) as superseded_from
    from returns
) as v
where r.return_id = v.return_id;

-- The flags raised at every month end, as the flag rules in force when it was filled
-- saw the returns known on that day (meta: flag_log_settings, flag_log_through).
create table if not exists flag_log (
    evaluated_on date not null,
    site_code varchar not null,
    flag varchar not null,
    severity varchar not null,
    reason varchar not null
);

-- What each site's returns said, as known on every day it changed: one row for each day a
-- version of one of its returns became known, valid until the next such day (null: still).
-- The flags and positions as of any day read the row valid on that day instead of
-- aggregating every return again. Lists hold the latest 12 returns, newest first.
create table if not exists site_facts (
    site_code varchar not null,
    valid_from date not null,
    valid_until date,
    returns_known integer not null,
    latest_period_end date,
    people_offered integer,
    people_recruited integer,
    care_plans_agreed integer,
    budgets_notional integer,
    budgets_third_party integer,
    budgets_direct_payment integer,
    budgets_total integer,
    first_recruited_period date,
    first_budget_period date,
    spend_care_to_date_gbp decimal(18, 2),
    spend_infrastructure_to_date_gbp decimal(18, 2),
    year_start date,                      -- the financial year the two sums below cover
    spend_care_year_gbp decimal(18, 2),
    spend_infrastructure_year_gbp decimal(18, 2),
    last_submitted_on date,
    recent_care double[],                 -- care spend of the latest returns
    live_recruited integer[],             -- people recruited in the latest returns from the go-live month
    live_periods date[]                   -- ... and their months
);
