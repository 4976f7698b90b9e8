-- Derive the site facts for every day from $from_day on that a return version became known;
-- each row holds until the site's next such day.
insert into site_facts by name
select
    f.*,
    lead(f.valid_from) over (partition by f.site_code order by f.valid_from) as valid_until
from facts_between($from_day) as f
