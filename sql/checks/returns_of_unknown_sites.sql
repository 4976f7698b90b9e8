-- Integrity: return versions of sites that are not in the register.
select r.return_id, r.site_code
from returns as r
left join sites as s using (site_code)
where s.site_code is null
