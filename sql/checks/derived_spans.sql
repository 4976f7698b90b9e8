-- Integrity: return versions whose derived span differs from a fresh derivation.
with fresh as (
    select
        return_id,
        greatest(period_end, submitted_on)::date as known_from,
        min(greatest(period_end, submitted_on)::date) over (
            partition by site_code, period_end order by return_id
            rows between 1 following and unbounded following
        ) as superseded_from
    from returns
)

select r.return_id, r.known_from, f.known_from as fresh_known_from, r.superseded_from, f.superseded_from as fresh
from returns as r
inner join fresh as f using (return_id)
where r.known_from is distinct from f.known_from
    or r.superseded_from is distinct from f.superseded_from
