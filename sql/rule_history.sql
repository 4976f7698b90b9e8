-- Every version of the rules, newest recorded first, with when, by whom and why it was recorded
-- (no load-log line: seeded from tracker.toml when the database was made) and whether it still
-- counts for some day (one recorded later for the same day replaces it).
select
    r.*,
    l.loaded_at as recorded_at,
    l.loaded_by as recorded_by,
    r.version_id in (select version_id from rule_spans()) as counts
from rule_versions as r
left join load_log as l using (load_id)
order by r.version_id desc
