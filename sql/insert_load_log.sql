-- Record one file or command in the load log under the id the writer allocated.
insert into load_log (
    load_id, kind, file_name, sha256, row_count, outcome, loaded_by, loaded_at,
    new_returns, superseded_returns, unchanged_returns, warning_count, error_summary, note
)
values (
    $load_id, $kind, $file_name, $sha256, $row_count, $outcome, $loaded_by, $loaded_at,
    $new_returns, $superseded_returns, $unchanged_returns, $warning_count, $error_summary, $note
)
