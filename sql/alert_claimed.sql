-- Whether the same alert (same content and recipients) is claimed for sending since $since, or sent.
select count(*) > 0
from deliveries
where kind = 'alert'
    and digest = $digest
    and (outcome = 'sent' or (outcome = 'sending' and attempted_at >= $since))
