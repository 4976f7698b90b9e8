-- Integrity: a site registered twice, or a meta setting held twice (one row per key in each).
select 'sites' as table_name, site_code as key, count(*) as rows_with_it
from sites
group by site_code
having count(*) > 1
union all
select 'meta', key, count(*)
from meta
group by key
having count(*) > 1
