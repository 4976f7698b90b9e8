-- Every site's versions that are in effect on some day (of those effective on one day, the one
-- recorded last), in order: what a change or a correction is planned against (tracker/register.py).
select * exclude (valid_from, valid_until), nullif(valid_from, '-infinity'::date) as effective_from
from register_spans()
order by site_code, valid_from
