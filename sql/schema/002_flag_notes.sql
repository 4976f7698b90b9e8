-- Follow-up notes a programme manager records on a site's flag ("chased 12 Nov").
-- flag_since ties the note to one run of the flag: it is shown beside the flag
-- while that run lasts, and stays in the site's history after.
create table if not exists flag_notes (
    note_id bigint not null,          -- unique
    site_code varchar not null,
    flag varchar not null,
    flag_since date not null,
    as_of date not null,          -- the as-of date the manager was looking at
    note varchar not null,
    written_by varchar not null,
    written_at timestamp not null
);
