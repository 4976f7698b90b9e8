-- The latest loaded version (void or not) of every return of the sites in
-- the registered relation `incoming_sites`: what an incoming file is compared with.
select r.*
from returns as r
where r.site_code in (select site_code from incoming_sites)
qualify row_number() over (partition by r.site_code, r.period_end order by r.return_id desc) = 1
order by r.site_code, r.period_end
