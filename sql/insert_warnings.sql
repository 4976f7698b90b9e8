-- Store the data-quality warnings in the registered relation `incoming_warnings`, numbered
-- from $first_warning_id in their order.
insert into return_warnings (warning_id, return_id, site_code, period_end, check_name, column_name, message)
select
    $first_warning_id - 1 + row_number() over (order by position) as warning_id,
    return_id, site_code, period_end, check_name, column_name, message
from incoming_warnings
