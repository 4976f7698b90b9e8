-- The register's history, newest recorded first, for one site or all ($site_code null): every
-- version, what it changed (JSON: field -> [old, new]; null: a first entry), the day it takes effect
-- (null: from the start), whether it corrects a mistake, when, by whom and why it was recorded, and
-- whether it still counts for some day (one recorded later for the same day replaces it).
select
    v.site_code,
    v.version_id,
    v.effective_from,
    v.is_correction,
    v.changes,
    v.reason,
    l.loaded_at as recorded_at,
    l.loaded_by as recorded_by,
    l.file_name as recorded_from,
    v.version_id in (select version_id from register_spans()) as counts
from site_versions as v
left join load_log as l using (load_id)
where $site_code is null or v.site_code = $site_code
order by v.version_id desc
