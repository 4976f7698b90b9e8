-- Integrity: data-quality warnings on return versions that do not exist.
select w.warning_id, w.return_id
from return_warnings as w
left join returns as r using (return_id)
where r.return_id is null
