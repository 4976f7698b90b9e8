-- Every version of one site's returns loaded so far, newest month first, with the
-- file that brought it, and whether it counts as of a date (known and latest loaded).
with counting as (
    select site_code, period_end, return_id from known_returns($as_of) where site_code = $site_code
)

select
    r.period_end,
    r.return_id,
    row_number() over (partition by r.period_end order by r.return_id) as version,
    r.is_void,
    r.void_reason,
    r.people_recruited,
    r.budgets_notional + r.budgets_third_party + r.budgets_direct_payment as budgets_total,
    r.spend_care_gbp,
    r.spend_infrastructure_gbp,
    r.submitted_on,
    l.file_name,
    l.loaded_by,
    l.loaded_at,
    c.return_id is not null as counts_as_of,
    r.period_end <= $as_of and coalesce(r.submitted_on <= $as_of, true) as known_as_of
from returns as r
inner join load_log as l using (load_id)
left join counting as c on c.return_id = r.return_id
where r.site_code = $site_code
order by r.period_end desc, r.return_id desc
