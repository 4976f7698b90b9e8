-- Every site in the register with its status as of a date (see site_statuses in
-- sql/macros/flags.sql). Filters: $region, $cohort.
select s.site_code, s.site_name, s.region, s.cohort, st.status, st.red_flags, st.amber_flags, st.flag_names
from sites_on($as_of) as s
inner join site_statuses($as_of) as st using (site_code)
where ($region is null or s.region = $region)
    and ($cohort is null or s.cohort = $cohort)
order by s.site_code
