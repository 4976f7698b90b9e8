-- Integrity: month-end flags in the log that differ from evaluating the rules afresh
-- (only where the log is usable: filled under the rules in force).
with logged as (
    select evaluated_on, site_code, flag, severity, reason
    from flag_log
    where evaluated_on <= (select usable_through from flag_log_state)
),

fresh as (
    select evaluated_on, site_code, flag, severity, reason
    from flags_between(date '0001-01-01', (select usable_through from flag_log_state), null)
)

(select 'logged only' as side, * from (select * from logged except select * from fresh))
union all
(select 'fresh only' as side, * from (select * from fresh except select * from logged))
