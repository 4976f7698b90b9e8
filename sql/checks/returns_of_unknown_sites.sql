-- Integrity: return versions of sites that are not in the register.
select r.return_id, r.site_code
from returns as r
left join (select distinct site_code from site_versions) as s using (site_code)
where s.site_code is null
