-- The rules in effect on $as_of: one row, with the version, the day it took effect (null: from the
-- start), why it was recorded, and every threshold as a column.
select
    r.*,
    nullif(s.valid_from, '-infinity'::date) as in_effect_from,
    nullif(s.valid_until, 'infinity'::date) as in_effect_until
from rules_on($as_of) as x
inner join rule_versions as r using (version_id)
inner join rule_spans() as s using (version_id)
