-- Every version of the rules, newest recorded first, with when, by whom and why it was recorded
-- (no load-log line: seeded from tracker.toml when the database was made), whether it still counts
-- for some day (one recorded later for the same day replaces it) and the days it counts on: from
-- in_effect_from (null: from the start) until in_effect_until (null: still). The rules in effect on
-- a day are the version whose span holds it (tracker.rules.in_force_on), so one read of this serves
-- every date a page shows.
select
    r.*,
    l.loaded_at as recorded_at,
    l.loaded_by as recorded_by,
    s.version_id is not null as counts,
    nullif(s.valid_from, '-infinity'::date) as in_effect_from,
    nullif(s.valid_until, 'infinity'::date) as in_effect_until
from rule_versions as r
left join load_log as l using (load_id)
left join rule_spans() as s using (version_id)
order by r.version_id desc
