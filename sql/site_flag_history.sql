-- One site's flags at every evaluation date (month ends, and the as-of date).
select evaluated_on, flag, severity, reason
from flag_history($as_of, date '1900-01-01')
where site_code = $site_code
order by evaluated_on, flag
