-- Record files or commands in the load log: the rows of the registered relation `incoming_loads`,
-- under the ids the writer allocated.
insert into load_log (
    load_id, kind, file_name, sha256, row_count, outcome, loaded_by, loaded_at,
    new_returns, superseded_returns, unchanged_returns, warning_count, error_summary, note
)
select
    load_id, kind, file_name, sha256, row_count, outcome, loaded_by, loaded_at,
    new_returns, superseded_returns, unchanged_returns, warning_count, error_summary, note
from incoming_loads
order by load_id
