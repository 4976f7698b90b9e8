-- Integrity: flags kept for a first visit (first_visit_flags) that differ from the rules applied
-- afresh on the same days (only where the flag log is usable: judged under the rules in force).
with kept as (
    select * from first_visit_flags
    where (select usable_through from flag_log_state) > date '0001-01-01'
),

fresh as (
    select * from judged_days((select coalesce(list(distinct evaluated_on), []) from kept))
)

(select 'kept only' as side, * from (select * from kept except all select * from fresh))
union all
(select 'fresh only' as side, * from (select * from fresh except all select * from kept))
