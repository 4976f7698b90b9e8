-- The as-of rules, defined once and used by every query (temporary macros,
-- made afresh on every connection, so read-only connections have them too).
-- A return version is known as of a date when its month has ended by then and,
-- where it says when it was sent, it had been sent by then. Of the known
-- versions of a site's month, the latest loaded counts; a void counts as absent.
-- Each version carries the span in which it counts (known_from, superseded_from:
-- see sql/schema/003_derived.sql), so choosing them is a filter, not a sort.

create or replace temp macro known_returns(as_of) as table
    select r.* exclude (known_from, superseded_from)
    from returns as r
    where r.known_from <= as_of
        and (r.superseded_from is null or r.superseded_from > as_of);

create or replace temp macro current_returns(as_of) as table
    select
        k.* exclude (is_void, void_reason),
        k.budgets_notional + k.budgets_third_party + k.budgets_direct_payment as budgets_total
    from known_returns(as_of) as k
    where not k.is_void;

-- Start of the NHS financial year (1 April) that holds a date.
create or replace temp macro financial_year_start(day) as
    make_date(year(day) - case when month(day) < 4 then 1 else 0 end, 4, 1);

-- The date a month's return is due: day `due_day` of the following month (the rules' return_due_day).
create or replace temp macro due_on(period_end, due_day) as
    make_date(year(period_end + interval 1 day), month(period_end + interval 1 day), due_day);

-- The month end a date falls in, and the month end before it.
create or replace temp macro previous_month_end(day) as (date_trunc('month', day) - interval 1 day)::date;

-- The register and the rules as versions (sql/schema/004_history.sql). Of the versions effective on
-- one day, the one recorded last counts; each counts from its day (the first: from the start,
-- '-infinity') until the next one's day ('infinity': still). Every view of a day reads the version
-- in effect on that day, so a change effective later never moves what an earlier day shows. The
-- spans are derived tables (sql/schema/006_version_spans.sql), rebuilt by every write of a version.

create or replace temp macro register_spans() as table
    select * from site_version_spans;

-- Each site's register entry in effect on a day (a site first registered later is not there yet).
create or replace temp macro sites_on(day) as table
    select * exclude (valid_from, valid_until)
    from site_version_spans
    where valid_from <= day::date and valid_until > day::date;

create or replace temp macro rule_spans() as table
    select * from rule_version_spans;

-- The rules in effect on a day: one row, its thresholds as columns.
create or replace temp macro rules_on(day) as table
    select * exclude (valid_from, valid_until)
    from rule_version_spans
    where valid_from <= day::date and valid_until > day::date;
