-- Evaluate the flag rules at every month end from $from_day to $to_day and log what they raise.
insert into flag_log
select evaluated_on, site_code, flag, severity, reason
from flags_between($from_day, $to_day, null)
