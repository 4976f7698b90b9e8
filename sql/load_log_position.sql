-- Where the load log stands: the last entry's id and time, and how many files were accepted.
select
    max(load_id) as last_load_id,
    max(loaded_at) as last_loaded_at,
    count(*) filter (where outcome = 'accepted') as accepted_loads
from load_log
