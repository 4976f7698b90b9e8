-- Integrity: the same file content accepted more than once (loading is meant to be once only).
select sha256, count(*) as accepted
from load_log
where kind = 'returns' and outcome = 'accepted' and sha256 is not null
group by sha256
having count(*) > 1
