-- Recruitment against target, aligned by months since go-live (the go-live month is month 0),
-- as known on a date: for each month, how many sites report it and the spread of their
-- share of target (10th, 25th, 50th, 75th and 90th percentiles). What the Compare page
-- draws when there are too many sites for a line each. $site_codes: the sites, null for all.
-- Filters: $region, $cohort.
with shares as (
    select
        datediff('month', date_trunc('month', s.go_live), date_trunc('month', r.period_end)) as months_since_go_live,
        r.people_recruited / s.recruitment_target as share_of_target
    from current_returns($as_of) as r
    inner join sites_on($as_of) as s using (site_code)
    where r.period_end >= last_day(s.go_live)
        and ($region is null or s.region = $region)
        and ($cohort is null or s.cohort = $cohort)
        and ($site_codes is null or list_contains($site_codes, s.site_code))
)

select
    months_since_go_live,
    count(*) as sites,
    quantile_cont(share_of_target, 0.1) as p10,
    quantile_cont(share_of_target, 0.25) as p25,
    quantile_cont(share_of_target, 0.5) as median,
    quantile_cont(share_of_target, 0.75) as p75,
    quantile_cont(share_of_target, 0.9) as p90
from shares
group by months_since_go_live
order by months_since_go_live
