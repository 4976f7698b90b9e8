-- Derived: the flags on the days the pages read when they open on the default date (the latest day
-- a return was sent, a week before it and a month before it), judged by every write that changes
-- the data (tracker/derived.py), with a row with no site for each day; a new opening of a file
-- starts its memo of judged flags with them (tracker/judged.py). Nothing here is new information.

create table if not exists first_visit_flags (
    evaluated_on date not null,
    site_code varchar,
    site_name varchar,
    flag varchar,
    severity varchar,
    reason varchar
);
