-- The flags raised on each of a list of days ($dates; `as_of`: the day), all judged in one pass, without
-- since when (site_flags adds that for one day): what a comparison of two days needs. Filters: $region, $cohort.
select f.evaluated_on as as_of, f.site_code, f.site_name, s.region, s.cohort, f.flag, f.severity, f.reason
from flags_at($dates::date[]) as f
inner join site_version_spans as s
    on s.site_code = f.site_code
    and s.valid_from <= f.evaluated_on
    and s.valid_until > f.evaluated_on
where ($region is null or s.region = $region)
    and ($cohort is null or s.cohort = $cohort)
order by f.evaluated_on, f.site_code, f.flag
