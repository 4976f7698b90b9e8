-- Every return due from the sites on one page of the returns grid, up to a date (see the
-- owed_returns macro): $site_codes lists the sites, null for all. Filters: $region, $cohort.
select * exclude (cohort)
from owed_returns($as_of)
where ($region is null or region = $region)
    and ($cohort is null or cohort = $cohort)
    and ($site_codes is null or list_contains($site_codes, site_code))
order by site_name, period_end
