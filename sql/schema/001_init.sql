-- The returns store. Amounts are GBP with pennies; counts are people.
-- The same schema serves a DuckDB file and a DuckLake, which has no sequences, keys or CHECK
-- constraints: the writer allocates ids (highest stored + 1, sql/next_ids.sql) while it alone
-- writes, and sql/checks/ proves that ids, keys and the accepted values hold.
-- (Databases made before the lake keep the keys and sequences they were made with.)

create table if not exists meta (
    key varchar not null,                 -- one row per key
    value varchar not null
);

-- One row for every file or command that tried to change the data.
create table if not exists load_log (
    load_id bigint not null,              -- unique
    kind varchar not null,                -- returns | register | void
    file_name varchar not null,
    sha256 varchar,
    row_count integer not null default 0,
    outcome varchar not null,             -- accepted | refused | already loaded
    loaded_by varchar not null,
    loaded_at timestamp not null,
    new_returns integer not null default 0,
    superseded_returns integer not null default 0,
    unchanged_returns integer not null default 0,
    warning_count integer not null default 0,
    error_summary varchar,
    note varchar                          -- why, for a void
);

create table if not exists sites (
    site_code varchar not null,           -- unique
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
    load_id bigint not null
);

-- Every version of every return: the latest loaded (highest return_id) counts.
-- A void is a version with is_void = true and no figures.
create table if not exists returns (
    return_id bigint not null,            -- unique; the latest loaded version counts
    load_id bigint not null,
    source_row integer,                   -- spreadsheet row in the file (header = 1)
    site_code varchar not null,
    period_end date not null,             -- last day of the month
    people_offered integer,               -- cumulative at period end
    people_recruited integer,
    care_plans_agreed integer,
    budgets_notional integer,
    budgets_third_party integer,
    budgets_direct_payment integer,
    spend_care_gbp decimal(14, 2),        -- within the month
    spend_infrastructure_gbp decimal(14, 2),
    submitted_on date,
    commentary varchar,
    is_void boolean not null default false,
    void_reason varchar
);

create table if not exists return_warnings (
    warning_id bigint not null,           -- unique
    return_id bigint not null,
    site_code varchar not null,
    period_end date not null,
    check_name varchar not null,
    column_name varchar,
    message varchar not null
);
