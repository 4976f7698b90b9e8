-- Every return due from every site, from its go-live month up to a date: received on
-- time, late, missing or not yet due, and whether resubmitted. The return for a month is
-- due on the due day of the following month (tracker.toml). A withdrawn site owes no
-- return for months ending on or after it withdrew, and none for months after the
-- programme's window. The register and the rules are those in effect on the date.

create or replace temp macro owed_returns(as_of) as table
with months as (
    select last_day(m::date) as period_end
    from generate_series(
        (select date_trunc('month', min(go_live)) from sites_on(as_of)),
        date_trunc('month', as_of::date),
        interval 1 month
    ) as g(m)
    where last_day(m::date) <= as_of
        and last_day(m::date) <= (select programme_end from rules_on(as_of))
),

owed as (
    -- only what the filters read rides through the join below; the rest of the site's entry is added after
    select
        s.site_code,
        s.region,
        s.cohort,
        m.period_end,
        due_on(m.period_end, (select return_due_day from rules_on(as_of))) as due_on
    from sites_on(as_of) as s
    inner join months as m
        on m.period_end >= last_day(s.go_live)
        and m.period_end < coalesce(s.withdrawn_on, 'infinity'::date)
),

known as (
    -- what the versions of each month known by the date add up to: read from the month states
    -- (return_months, derived) where this code's writes keep them; grouped afresh from every version
    -- in a store last written by other code, which may not have kept them (flag_log_state)
    select site_code, period_end, versions_known, first_submitted_on, any_undated, counts
    from return_months
    where valid_from <= as_of
        and coalesce(valid_until, 'infinity'::date) > as_of
        and (select derived_current from flag_log_state)
    union all
    select
        site_code,
        period_end,
        count(*) as versions_known,
        min(submitted_on) as first_submitted_on,
        bool_or(submitted_on is null) as any_undated,
        bool_or(not is_void and (superseded_from is null or superseded_from > as_of)) as counts
    from returns
    where known_from <= as_of
        and not (select derived_current from flag_log_state)
    group by site_code, period_end
),

final as (
    select
        o.*,
        coalesce(k.versions_known, 0) as versions_known,
        k.first_submitted_on,
        case
            when k.site_code is not null and not k.counts then 'void'
            when k.site_code is null and o.due_on > as_of then 'not yet due'
            when k.site_code is null then 'missing'
            when k.any_undated and k.first_submitted_on is null then 'received'
            when k.first_submitted_on <= o.due_on then 'on time'
            else 'late'
        end as status,
        coalesce(k.versions_known, 0) > 1 as resubmitted
    from owed as o
    left join known as k using (site_code, period_end)
)

select
    f.site_code,
    s.site_name,
    f.region,
    s.contact_name,
    s.contact_email,
    f.cohort,
    f.* exclude (site_code, region, cohort)
from final as f
inner join sites_on(as_of) as s using (site_code);
