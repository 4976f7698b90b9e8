-- The returns store. Amounts are GBP with pennies; counts are people.
-- Ids come from sequences so that a restored database carries on numbering.

create sequence if not exists load_id_seq start 1;
create sequence if not exists return_id_seq start 1;
create sequence if not exists warning_id_seq start 1;

create table if not exists meta (
    key varchar primary key,
    value varchar not null
);

-- One row for every file or command that tried to change the data.
create table if not exists load_log (
    load_id bigint primary key default nextval('load_id_seq'),
    kind varchar not null check (kind in ('returns', 'register', 'void')),
    file_name varchar not null,
    sha256 varchar,
    row_count integer not null default 0,
    outcome varchar not null check (outcome in ('accepted', 'refused', 'already loaded')),
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
    site_code varchar primary key,
    site_name varchar not null,
    region varchar not null,
    cohort varchar not null check (cohort in ('in-depth', 'wider')),
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
    return_id bigint primary key default nextval('return_id_seq'),
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
    warning_id bigint primary key default nextval('warning_id_seq'),
    return_id bigint not null,
    site_code varchar not null,
    period_end date not null,
    check_name varchar not null,
    column_name varchar,
    message varchar not null
);
