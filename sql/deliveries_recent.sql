-- The latest delivery attempts (packs and alerts), newest first: when, what, to whom, the outcome.
select attempted_at, kind, as_of, subject, recipients, outcome, message_id, error, attempted_by
from deliveries
order by delivery_id desc
limit $limit
