-- Integrity: register or rule versions that no accepted load-log line records (who, when), and a
-- rules history with no version from the start (some day would have no rules in effect).
select 'site_versions' as table_name, v.version_id, v.load_id
from site_versions as v
left join load_log as l on l.load_id = v.load_id and l.outcome = 'accepted' and l.kind = 'register'
where l.load_id is null
union all
select 'rule_versions', r.version_id, r.load_id
from rule_versions as r
left join load_log as l on l.load_id = r.load_id and l.outcome = 'accepted' and l.kind = 'rules'
where r.load_id is not null and l.load_id is null
union all
select 'rule_versions', null, null
where not exists (select 1 from rule_versions where effective_from is null)
