-- Integrity: return versions that no accepted load brought (should be none).
select r.return_id, r.site_code, r.period_end, r.load_id
from returns as r
left join load_log as l on l.load_id = r.load_id and l.outcome = 'accepted' and l.kind in ('returns', 'void')
where l.load_id is null
