-- Put the register in the registered relation `incoming_sites` in place of the old one.
insert into sites
select
    site_code, site_name, region, cohort, care_groups, direct_payments_from, go_live,
    recruitment_target, target_date, dh_funding_gbp, withdrawn_on, contact_name, contact_email,
    $load_id as load_id
from incoming_sites
