-- The first accepted load of each file content in $sha256s (a list of digests): loading any of
-- them again changes nothing.
select sha256, file_name, loaded_at
from load_log
where list_contains($sha256s, sha256)
    and kind = $kind
    and outcome = 'accepted'
qualify row_number() over (partition by sha256 order by load_id) = 1
