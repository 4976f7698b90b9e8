-- Every site's register entry in effect on $as_of, in code order.
select
    site_code,
    site_name,
    region,
    cohort,
    care_groups,
    direct_payments_from,
    go_live,
    recruitment_target,
    target_date,
    dh_funding_gbp,
    withdrawn_on,
    contact_name,
    contact_email
from sites_on($as_of)
order by site_code
