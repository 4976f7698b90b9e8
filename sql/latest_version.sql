-- The latest loaded version of one site's return for one month (void or not).
select *
from returns
where site_code = $site_code
    and period_end = $period_end
order by return_id desc
limit 1
