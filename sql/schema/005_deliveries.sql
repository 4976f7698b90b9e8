-- Every attempt to deliver something by e-mail (a board pack, an alert): when, to whom, what, the
-- message id and the outcome. An alert's send is claimed here before it is sent (outcome 'sending'),
-- so that two machines running the same alert at once send it once; `items` keeps what it told its
-- readers (JSON), which is what the next alert is judged against.
create table if not exists deliveries (
    delivery_id bigint not null,          -- unique; allocated by the writer
    kind varchar not null,                -- pack | alert
    as_of date not null,
    recipients varchar not null,          -- comma-separated
    subject varchar not null,
    items varchar,                        -- an alert: JSON {"stalled": [...], "red_flags": [[site, flag], ...]}
    outcome varchar not null,             -- sending | sent | failed | narrowed (an alert: recoveries noted, nothing sent)
    message_id varchar,
    error varchar,
    attempted_by varchar not null,
    attempted_at timestamp not null,
    finished_at timestamp
);
