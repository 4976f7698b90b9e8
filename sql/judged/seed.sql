-- A new memo starts with the days the last write judged for a first visit (first_visit_flags, filled
-- by tracker/derived.py), if the flag log's state says they were judged by this code's rules (a store
-- written by other code keeps them until its next write, and they are judged afresh here).
insert into memory.main.judged_flags
select evaluated_on, site_code, site_name, flag, severity, reason
from first_visit_flags
where (select usable_through from memory.main.flag_log_state) > date '0001-01-01'
