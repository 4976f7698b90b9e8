-- The most recent entries of the load log, newest first.
select
    load_id,
    loaded_at,
    kind,
    file_name,
    outcome,
    row_count,
    new_returns,
    superseded_returns,
    unchanged_returns,
    warning_count,
    loaded_by,
    note,
    error_summary
from load_log
order by load_id desc
limit $limit
