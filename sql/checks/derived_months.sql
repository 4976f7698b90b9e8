-- Integrity: month states (return_months) that differ from a fresh derivation: on each day a
-- version of a month became known, the versions known then, counted afresh from returns.
with fresh as (
    select
        d.site_code,
        d.period_end,
        d.valid_from,
        (
            select min(n.known_from)
            from returns as n
            where n.site_code = d.site_code and n.period_end = d.period_end and n.known_from > d.valid_from
        ) as valid_until,
        count(*) as versions_known,
        min(r.submitted_on) as first_submitted_on,
        bool_or(r.submitted_on is null) as any_undated,
        bool_or(not r.is_void and (r.superseded_from is null or r.superseded_from > d.valid_from)) as counts
    from (select distinct site_code, period_end, known_from as valid_from from returns) as d
    inner join returns as r
        on r.site_code = d.site_code and r.period_end = d.period_end and r.known_from <= d.valid_from
    group by d.site_code, d.period_end, d.valid_from
),

stored as (
    select * from return_months
)

-- every row once: a month stored twice would be owed twice
(select 'stored only' as side, * from (select * from stored except all select * from fresh))
union all
(select 'fresh only' as side, * from (select * from fresh except all select * from stored))
