-- What the readers were last told (`items`): the latest alert sent, or claimed and being sent since
-- $since (another process's send in flight), or narrowed since by recoveries. No row before the first.
select items
from deliveries
where kind = 'alert'
    and (outcome in ('sent', 'narrowed') or (outcome = 'sending' and attempted_at >= $since))
order by delivery_id desc
limit 1
