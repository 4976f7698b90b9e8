-- What the latest alert sent told its readers (its `items`): no row before the first alert.
select items
from deliveries
where kind = 'alert' and outcome = 'sent'
order by delivery_id desc
limit 1
