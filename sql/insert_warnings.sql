-- Store the data-quality warnings in the registered relation `incoming_warnings`.
insert into return_warnings (return_id, site_code, period_end, check_name, column_name, message)
select return_id, site_code, period_end, check_name, column_name, message
from incoming_warnings
