-- The accepted load of a file with this content, if any: loading it again changes nothing.
select load_id, file_name, loaded_at
from load_log
where sha256 = $sha256
    and kind = $kind
    and outcome = 'accepted'
order by load_id
limit 1
