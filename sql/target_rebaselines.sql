-- The sites whose recruitment target in effect on $as_of was re-baselined: the latest change of
-- target that took effect on or before the date, with the target before it ("60 → 80 from 1 Mar
-- 2011"). A correction is not a re-baseline: it changes the target on every date.
with spans as (
    select
        site_code,
        valid_from,
        recruitment_target,
        lag(recruitment_target) over (partition by site_code order by valid_from) as target_before
    from register_spans()
    where valid_from <= $as_of::date
)

select site_code, target_before, recruitment_target, valid_from as rebaselined_from
from spans
where target_before is not null and target_before <> recruitment_target
qualify row_number() over (partition by site_code order by valid_from desc) = 1
order by site_code
