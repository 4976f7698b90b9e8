-- Integrity: site facts that differ from a fresh derivation (rows missing on either side).
with fresh as (
    select
        f.site_code,
        f.valid_from,
        lead(f.valid_from) over (partition by f.site_code order by f.valid_from) as valid_until,
        f.* exclude (site_code, valid_from)
    from facts_between(date '0001-01-01') as f
),

stored as (
    select * from site_facts
)

(select 'stored only' as side, * from (select * from stored except select * from fresh))
union all
(select 'fresh only' as side, * from (select * from fresh except select * from stored))
