-- The as-of rules, defined once and used by every query.
-- A return version is known as of a date when its month has ended by then and,
-- where it says when it was sent, it had been sent by then. Of the known
-- versions of a site's month, the latest loaded counts; a void counts as absent.

create or replace macro known_returns(as_of) as table
    select r.*
    from returns as r
    where r.period_end <= as_of
        and (r.submitted_on is null or r.submitted_on <= as_of)
    qualify row_number() over (partition by r.site_code, r.period_end order by r.return_id desc) = 1;

create or replace macro current_returns(as_of) as table
    select
        k.* exclude (is_void, void_reason),
        k.budgets_notional + k.budgets_third_party + k.budgets_direct_payment as budgets_total
    from known_returns(as_of) as k
    where not k.is_void;

-- Start of the NHS financial year (1 April) that holds a date.
create or replace macro financial_year_start(day) as
    make_date(year(day) - case when month(day) < 4 then 1 else 0 end, 4, 1);
