-- The rows before $from_day that were valid on it now hold until the site's next new row.
update site_facts as f
set valid_until = (
    select min(n.valid_from) from site_facts as n where n.site_code = f.site_code and n.valid_from >= $from_day
)
where f.valid_from < $from_day
    and (f.valid_until is null or f.valid_until >= $from_day)
