-- Integrity: a meta setting held twice (one row per key). (Register and rule versions may share a
-- day: the one recorded last counts; their ids are checked in ids_used_twice.)
select 'meta' as table_name, key, count(*) as rows_with_it
from meta
group by key
having count(*) > 1
