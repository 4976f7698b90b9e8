-- Integrity: accepted loads whose stored rows differ from what the load log says it stored.
with stored as (
    select load_id, count(*) as versions from returns group by load_id
)

select l.load_id, l.file_name, l.new_returns + l.superseded_returns as logged, coalesce(s.versions, 0) as stored
from load_log as l
left join stored as s using (load_id)
where l.outcome = 'accepted'
    and l.kind in ('returns', 'void')
    and l.new_returns + l.superseded_returns <> coalesce(s.versions, 0)
