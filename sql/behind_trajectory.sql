-- The live sites furthest behind their straight-line recruitment trajectory as of a
-- date, among those judged on it (live long enough for BEHIND_TARGET), worst first.
-- `reason` is the most telling flag's reason: a red flag before an amber one, and
-- BEHIND_TARGET (which the share already says) last. Filters: $region, $cohort; $limit rows.
select
    p.site_code,
    p.site_name,
    p.region,
    st.status,
    p.people_recruited,
    p.recruitment_target,
    p.expected_by_now,
    p.people_recruited / nullif(p.expected_by_now, 0) as share_of_trajectory,
    st.top_reason as reason,
    st.red_flags + st.amber_flags as flag_count
from site_positions($as_of) as p
inner join site_statuses($as_of) as st using (site_code)
where p.phase = 'Live'
    and p.expected_by_now > 0
    and (p.go_live + to_months((select behind_target_after_months from rules_on($as_of))::integer))::date <= $as_of
    and ($region is null or p.region = $region)
    and ($cohort is null or p.cohort = $cohort)
order by share_of_trajectory, p.site_name
limit $limit
