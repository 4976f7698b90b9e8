-- The returns due up to a date counted by status, and the latest month whose returns are
-- due with how many of them have arrived. Filters: $region, $cohort.
with owed as (
    select *
    from owed_returns($as_of)
    where ($region is null or region = $region)
        and ($cohort is null or cohort = $cohort)
),

latest as (
    select max(period_end) as period_end from owed where status <> 'not yet due'
)

select
    count(*) filter (where status = 'on time') as on_time,
    count(*) filter (where status = 'late') as late,
    count(*) filter (where status = 'missing') as missing,
    count(*) filter (where status = 'not yet due') as not_yet_due,
    count(*) filter (where status = 'void') as void,
    count(*) filter (where status = 'received') as received_undated,
    count(*) filter (where resubmitted) as resubmitted,
    count(distinct site_code) filter (where status = 'missing') as sites_missing,
    (select period_end from latest) as latest_due_month,
    min(due_on) filter (where period_end = (select period_end from latest)) as latest_due_on,
    count(*) filter (where period_end = (select period_end from latest)) as latest_owed,
    count(*) filter (
        where period_end = (select period_end from latest) and status in ('on time', 'late', 'received')
    ) as latest_received
from owed
