-- Record one file or command in the load log; gives back its id.
insert into load_log (
    kind, file_name, sha256, row_count, outcome, loaded_by, loaded_at,
    new_returns, superseded_returns, unchanged_returns, warning_count, error_summary, note
)
values (
    $kind, $file_name, $sha256, $row_count, $outcome, $loaded_by, $loaded_at,
    $new_returns, $superseded_returns, $unchanged_returns, $warning_count, $error_summary, $note
)
returning load_id
