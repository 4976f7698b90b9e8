-- One site's months as known on a date: the figures of the counting version,
-- how many versions were known, and spend to date.
with versions as (
    select site_code, period_end, count(*) as versions_known
    from returns
    where site_code = $site_code
        and period_end <= $as_of
        and (submitted_on is null or submitted_on <= $as_of)
    group by site_code, period_end
),

final as (
    select
        r.*,
        v.versions_known,
        sum(r.spend_care_gbp) over w as spend_care_to_date_gbp,
        sum(r.spend_infrastructure_gbp) over w as spend_infrastructure_to_date_gbp
    from current_returns($as_of) as r
    inner join versions as v using (site_code, period_end)
    where r.site_code = $site_code
    window w as (order by r.period_end rows between unbounded preceding and current row)
)

select * from final
order by period_end
