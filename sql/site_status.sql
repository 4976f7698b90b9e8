-- Every site in the register with its status on each of a list of days ($dates; `as_of`: the day),
-- all judged in one pass (see site_statuses_at in sql/macros/flags.sql). Filters: $region, $cohort.
select st.as_of, s.site_code, s.site_name, s.region, s.cohort, st.status, st.red_flags, st.amber_flags, st.flag_names
from site_statuses_at($dates::date[]) as st
inner join site_version_spans as s
    on s.site_code = st.site_code
    and s.valid_from <= st.as_of
    and s.valid_until > st.as_of
where ($region is null or s.region = $region)
    and ($cohort is null or s.cohort = $cohort)
order by st.as_of, s.site_code
