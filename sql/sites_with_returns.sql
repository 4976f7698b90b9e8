-- Site codes that have any return version loaded.
select distinct site_code from returns order by site_code
