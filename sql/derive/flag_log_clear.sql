-- Forget the logged flags from a month end on (they are about to be evaluated again).
delete from flag_log where evaluated_on >= $from_day
