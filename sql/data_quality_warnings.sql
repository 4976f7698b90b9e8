-- Data-quality warnings on the returns that count as of a date (a corrected
-- resubmission drops its predecessor's warnings). Filters: $region, $cohort,
-- $site_code (null for all).
select
    w.site_code,
    s.site_name,
    w.period_end,
    w.check_name,
    w.column_name,
    w.message,
    k.submitted_on
from return_warnings as w
inner join known_returns($as_of) as k on k.return_id = w.return_id
inner join sites_on($as_of) as s on s.site_code = w.site_code
where not k.is_void
    and ($region is null or s.region = $region)
    and ($cohort is null or s.cohort = $cohort)
    and ($site_code is null or w.site_code = $site_code)
order by w.period_end desc, s.site_name, w.check_name
