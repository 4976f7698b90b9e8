-- The rules in effect on $as_of: one row, with the version, the day it took effect (null: from the
-- start), when, by whom and why it was recorded (no load-log line: seeded from tracker.toml), and
-- every threshold as a column.
select
    r.*,
    l.loaded_at as recorded_at,
    l.loaded_by as recorded_by,
    nullif(s.valid_from, '-infinity'::date) as in_effect_from,
    nullif(s.valid_until, 'infinity'::date) as in_effect_until
from rules_on($as_of) as x
inner join rule_versions as r using (version_id)
inner join rule_spans() as s using (version_id)
left join load_log as l on l.load_id = r.load_id
