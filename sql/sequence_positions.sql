-- The next id each sequence would give, for a backup to carry on from.
select
    sequence_name,
    coalesce(last_value + increment_by, start_value) as next_id
from duckdb_sequences()
order by sequence_name
