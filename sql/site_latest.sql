-- Latest position of every site in the register as of a date, with spend to date.
-- Counts are cumulative as at the latest known return; spend sums the months.
-- Filters: $region and $cohort, null for all.
select *
from site_positions($as_of)
where ($region is null or region = $region)
    and ($cohort is null or cohort = $cohort)
order by site_name
