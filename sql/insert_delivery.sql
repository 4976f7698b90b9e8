-- Record one delivery attempt under the id the writer allocated.
insert into deliveries (
    delivery_id, kind, as_of, recipients, subject, items, outcome, message_id, error,
    attempted_by, attempted_at, finished_at
)
values (
    $delivery_id, $kind, $as_of, $recipients, $subject, $items, $outcome, $message_id, $error,
    $attempted_by, $attempted_at, $finished_at
)
