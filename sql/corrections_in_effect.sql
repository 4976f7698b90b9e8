-- The register corrections a view of $as_of includes: corrected versions that count on some day up
-- to the date (a correction applies to every date the mistaken value was in effect), with what they
-- changed and when, by whom and why they were recorded.
select
    s.site_code,
    nullif(s.valid_from, '-infinity'::date) as effective_from,
    s.changes,
    s.reason,
    l.loaded_at as recorded_at,
    l.loaded_by as recorded_by
from register_spans() as s
left join load_log as l using (load_id)
where s.is_correction and s.valid_from <= $as_of::date
order by s.site_code, s.valid_from
