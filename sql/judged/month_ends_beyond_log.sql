-- The month ends before $as_of that the flag log does not hold (it is usable up to flag_log_state's
-- day): what flag_month_ends reads through flags_at, from the memo, for a query on $as_of.
select coalesce(list(evaluated_on order by evaluated_on), [])
from evaluation_days((select usable_through from memory.main.flag_log_state) + 1, $as_of::date - 1, null)
