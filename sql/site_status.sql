-- Every site in the register with its status as of a date: Withdrawn from its
-- withdrawal date, Not live before go-live, else Stalled (any red flag),
-- At risk (any amber) or On track. Filters: $region, $cohort.
with raised as (
    select site_code,
        count(*) filter (where severity = 'red') as red_flags,
        count(*) filter (where severity = 'amber') as amber_flags,
        string_agg(flag, ', ' order by case severity when 'red' then 0 else 1 end, flag) as flag_names
    from flag_history($as_of)
    where evaluated_on = $as_of::date
    group by site_code
),

final as (
    select
        s.site_code,
        s.site_name,
        s.region,
        s.cohort,
        case
            when s.withdrawn_on is not null and s.withdrawn_on <= $as_of then 'Withdrawn'
            when s.go_live > $as_of then 'Not live'
            when coalesce(r.red_flags, 0) > 0 then 'Stalled'
            when coalesce(r.amber_flags, 0) > 0 then 'At risk'
            else 'On track'
        end as status,
        coalesce(r.red_flags, 0) as red_flags,
        coalesce(r.amber_flags, 0) as amber_flags,
        coalesce(r.flag_names, '') as flag_names
    from sites as s
    left join raised as r using (site_code)
    where ($region is null or s.region = $region)
        and ($cohort is null or s.cohort = $cohort)
)

select * from final
order by site_code
