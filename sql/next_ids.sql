-- The next free id of each numbered table: the highest stored plus one. Only the writer asks,
-- while it alone may write (a file lock, or the lake's advisory lock), so no two writes share one.
select
    (select coalesce(max(load_id), 0) + 1 from load_log) as load_id,
    (select coalesce(max(return_id), 0) + 1 from returns) as return_id,
    (select coalesce(max(warning_id), 0) + 1 from return_warnings) as warning_id,
    (select coalesce(max(note_id), 0) + 1 from flag_notes) as note_id,
    (select coalesce(max(version_id), 0) + 1 from site_versions) as site_version_id,
    (select coalesce(max(version_id), 0) + 1 from rule_versions) as rule_version_id,
    (select coalesce(max(delivery_id), 0) + 1 from deliveries) as delivery_id
