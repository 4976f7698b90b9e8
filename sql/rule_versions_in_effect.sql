-- The rule versions in effect on some day (of those effective on one day, the one recorded last),
-- in order: what a change of the rules is planned against (tracker/rules.py).
select r.*
from rule_versions as r
semi join rule_spans() as s using (version_id)
order by r.effective_from nulls first
