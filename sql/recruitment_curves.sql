-- People recruited by each site month by month, aligned by months since go-live
-- (the go-live month is month 0), as known on a date; with the site's status then.
-- $site_codes: the sites, null for all. Filters: $region, $cohort.
select
    r.site_code,
    s.site_name,
    st.status,
    r.period_end,
    datediff('month', date_trunc('month', s.go_live), date_trunc('month', r.period_end)) as months_since_go_live,
    r.people_recruited,
    s.recruitment_target,
    r.people_recruited / s.recruitment_target as share_of_target
from current_returns($as_of) as r
inner join sites_on($as_of) as s using (site_code)
inner join site_statuses($as_of) as st using (site_code)
where r.period_end >= last_day(s.go_live)
    and ($region is null or s.region = $region)
    and ($cohort is null or s.cohort = $cohort)
    and ($site_codes is null or list_contains($site_codes, s.site_code))
order by r.site_code, r.period_end
