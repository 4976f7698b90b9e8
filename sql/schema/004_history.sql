-- History that holds: the site register and the flag rules kept as versions, each with the day it
-- takes effect and the load-log line that says when, by whom and why it was recorded. Nothing is
-- overwritten: a change adds versions, and the view of a day reads the version in effect on it.
-- Of a site's versions effective on the same day, the one recorded last (highest version_id)
-- counts; a correction is recorded that way, beside every version it corrects.

create table if not exists site_versions (
    version_id bigint not null,           -- unique; allocated by the writer (sql/next_ids.sql)
    site_code varchar not null,
    site_name varchar not null,
    region varchar not null,
    cohort varchar not null,              -- in-depth | wider
    care_groups varchar not null,         -- ';'-separated
    direct_payments_from date,
    go_live date not null,
    recruitment_target integer not null,  -- people
    target_date date not null,
    dh_funding_gbp decimal(14, 2) not null,
    withdrawn_on date,
    contact_name varchar,
    contact_email varchar,
    effective_from date,                  -- the day it takes effect; null: from the start
    is_correction boolean not null,       -- fixes a mistake, on every day the mistaken value was in effect
    changes varchar,                      -- what it changed ('recruitment_target: 60 → 80'); null: a first entry
    reason varchar,                       -- why (required for a change)
    load_id bigint not null               -- when and by whom: the load-log line
);

insert into site_versions
select
    row_number() over (order by site_code) as version_id,
    site_code, site_name, region, cohort, care_groups, direct_payments_from, go_live,
    recruitment_target, target_date, dh_funding_gbp, withdrawn_on, contact_name, contact_email,
    null as effective_from,
    false as is_correction,
    null as changes,
    null as reason,
    load_id
from sites;

drop table sites;

-- The rules the flags are decided by. The first version is seeded from tracker.toml when the
-- database is made (tracker/store/schema.py); later ones come from `python -m tracker rules`
-- or the dashboard's rule editor, never from an edit of tracker.toml.
create table if not exists rule_versions (
    version_id bigint not null,           -- unique
    effective_from date,                  -- null: from the start
    programme_start date not null,        -- returns for months outside the window are refused
    programme_end date not null,
    return_due_day integer not null,      -- a month's return is due on this day of the next month
    no_recruits_after_months integer not null,
    no_budgets_after_months integer not null,
    no_care_spend_after_months integer not null,
    no_care_spend_returns integer not null,
    behind_target_after_months integer not null,
    behind_target_amber_below double not null,
    behind_target_red_below double not null,
    plateau_returns integer not null,
    set_up_only_after_months integer not null,
    set_up_only_min_infrastructure_gbp double not null,
    set_up_only_max_care_share double not null,
    missing_returns_count integer not null,
    changes varchar,                      -- what it changed; null: the first version
    reason varchar,
    load_id bigint                        -- the load-log line; null: seeded when the database was made
);
