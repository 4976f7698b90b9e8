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

-- The date a month's return is due: day `return_due_day` of the following month.
create or replace temp macro due_on(period_end) as
    make_date(
        year(period_end + interval 1 day),
        month(period_end + interval 1 day),
        (select return_due_day from settings)
    );

-- The month end a date falls in, and the month end before it.
create or replace temp macro previous_month_end(day) as (date_trunc('month', day) - interval 1 day)::date;
