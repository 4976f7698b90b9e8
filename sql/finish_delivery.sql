-- Record how a claimed send ended: sent (with its message id) or failed (with the reason).
update deliveries
set outcome = $outcome, message_id = $message_id, error = $error, finished_at = $finished_at
where delivery_id = $delivery_id
