-- The chase list: every return due by a date and not received, newest month first, with
-- whom to ask and how many days overdue. Filters: $region, $cohort.
select
    site_name,
    period_end,
    due_on,
    datediff('day', due_on, $as_of::date) as days_overdue,
    contact_name,
    contact_email,
    region,
    site_code
from owed_returns($as_of)
where status = 'missing'
    and ($region is null or region = $region)
    and ($cohort is null or cohort = $cohort)
order by period_end desc, site_name
