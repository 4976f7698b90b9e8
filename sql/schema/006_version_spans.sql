-- Derived: the span in which each version of the register and of the rules counts, so that a view
-- of a day is a filter rather than two window functions over every version (those cost 30 ms of a
-- 60 ms status query at 70 sites). Filled by sql/derive/spans_fill.sql after every write of a
-- version and after migrating (tracker/store/schema.py); nothing here is new information.

create table if not exists site_version_spans as
select v.* exclude (effective_from), v.effective_from as valid_from, v.effective_from as valid_until
from site_versions as v
limit 0;

create table if not exists rule_version_spans as
select r.* exclude (effective_from, changes, reason, load_id), r.effective_from as valid_from, r.effective_from as valid_until
from rule_versions as r
limit 0;
