-- The date the dashboard opens on: the latest date a return was sent,
-- or without any such date the latest month end loaded.
select coalesce(max(submitted_on), max(period_end)) as as_of
from returns
where not is_void
