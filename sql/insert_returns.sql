-- Add the rows of the registered relation `incoming` as new return versions, numbered by the
-- writer, each with the load it came in. A version is known from the day its month has ended
-- and it has been sent (a void: its month end); tracker/derived.py then dates the versions it
-- replaces (superseded_from).
insert into returns (
    return_id, load_id, source_row, site_code, period_end,
    people_offered, people_recruited, care_plans_agreed,
    budgets_notional, budgets_third_party, budgets_direct_payment,
    spend_care_gbp, spend_infrastructure_gbp, submitted_on, commentary, is_void, void_reason,
    known_from
)
select
    return_id, load_id, source_row, site_code, period_end,
    people_offered, people_recruited, care_plans_agreed,
    budgets_notional, budgets_third_party, budgets_direct_payment,
    spend_care_gbp, spend_infrastructure_gbp, submitted_on, commentary, is_void, void_reason,
    greatest(period_end, submitted_on)::date
from incoming
order by return_id
