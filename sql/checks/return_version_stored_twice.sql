-- Integrity: a load that stored the same site's month more than once (each load adds at most
-- one version of a return; two loads at once must not both add theirs under one load id).
select load_id, site_code, period_end, count(*) as versions
from returns
group by load_id, site_code, period_end
having count(*) > 1
