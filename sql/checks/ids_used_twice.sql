-- Integrity: ids given to more than one row. The writer numbers rows while it alone may write;
-- a shared DuckLake enforces no keys, so this check is what proves they hold.
with ids as (
    select 'load_log' as table_name, load_id as id from load_log
    union all
    select 'returns', return_id from returns
    union all
    select 'return_warnings', warning_id from return_warnings
    union all
    select 'flag_notes', note_id from flag_notes
    union all
    select 'site_versions', version_id from site_versions
    union all
    select 'rule_versions', version_id from rule_versions
    union all
    select 'deliveries', delivery_id from deliveries
)

select table_name, id, count(*) as rows_with_it
from ids
group by table_name, id
having count(*) > 1
