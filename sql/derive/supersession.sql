-- Bring superseded_from up to date for every site-month that has a version with
-- return_id >= $first_return_id (the versions a load or void has just added).
with touched as (
    select distinct site_code, period_end from returns where return_id >= $first_return_id
)

update returns as r
set superseded_from = v.superseded_from
from (
    select
        x.return_id,
        min(x.known_from) over (
            partition by x.site_code, x.period_end order by x.return_id
            rows between 1 following and unbounded following
        ) as superseded_from
    from returns as x
    semi join touched as t using (site_code, period_end)
) as v
where r.return_id = v.return_id
    and r.superseded_from is distinct from v.superseded_from
