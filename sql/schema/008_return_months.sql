-- Derived: what the versions of each month's return known on a day add up to, on every day that
-- changes it (a version of the month became known): how many versions are known, the first sent,
-- whether one was undated, and whether one that counts is not a void; valid until the next such day
-- (null: still). owed_returns reads the row valid on its day instead of grouping every version of
-- every return again (that grouping was half of the chase list's cost at 10,000 sites). Filled by
-- sql/derive/months_fill.sql after every migration and every write of returns; nothing here is new
-- information.

create table if not exists return_months (
    site_code varchar not null,
    period_end date not null,
    valid_from date not null,
    valid_until date,
    versions_known bigint not null,
    first_submitted_on date,
    any_undated boolean not null,
    counts boolean not null
);
