-- Record new register versions from the registered relation `incoming_versions` (ids allocated by the writer).
insert into site_versions by name
select
    version_id, site_code, site_name, region, cohort, care_groups, direct_payments_from, go_live,
    recruitment_target::integer as recruitment_target, target_date, dh_funding_gbp, withdrawn_on,
    contact_name, contact_email, effective_from, is_correction, changes, reason, load_id
from incoming_versions
