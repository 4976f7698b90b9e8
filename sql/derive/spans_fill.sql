-- The spans of the register's and the rules' versions (sql/schema/006_version_spans.sql), made afresh:
-- a few rows per site, so rebuilding all of them costs less than working out which changed.
delete from site_version_spans;

insert into site_version_spans by name
with dated as (
    select v.* exclude (effective_from), coalesce(v.effective_from, '-infinity'::date) as valid_from
    from site_versions as v
    qualify row_number() over (
        partition by v.site_code, coalesce(v.effective_from, '-infinity'::date) order by v.version_id desc
    ) = 1
)

select
    d.*,
    coalesce(lead(d.valid_from) over (partition by d.site_code order by d.valid_from), 'infinity'::date)
        as valid_until
from dated as d;

delete from rule_version_spans;

insert into rule_version_spans by name
with dated as (
    select r.* exclude (effective_from), coalesce(r.effective_from, '-infinity'::date) as valid_from
    from rule_versions as r
    qualify row_number() over (partition by coalesce(r.effective_from, '-infinity'::date) order by r.version_id desc) = 1
)

select
    d.* exclude (changes, reason, load_id),
    coalesce(lead(d.valid_from) over (order by d.valid_from), 'infinity'::date) as valid_until
from dated as d;
