-- The days the last write judged for a first visit (first_visit_flags: a row with no site marks each),
-- if the flag log's state says they were judged by this code's rules: what sql/judged/seed.sql copies.
select evaluated_on
from first_visit_flags
where site_code is null
    and (select usable_through from memory.main.flag_log_state) > date '0001-01-01'
