-- Stall flags. flag_history(as_of, since) gives one row per flag raised at every
-- evaluation date from `since` up to as_of: each month end, and as_of itself.
-- flags_now(as_of) is the same at as_of alone (what a status needs: much cheaper).
-- Thresholds come from the `settings` table (tracker.toml [flags]).
-- Live sites only: a site is evaluated from its go-live until it withdraws.

create or replace temp macro evaluation_dates(as_of, since) as table
    select last_day(g.m::date) as evaluated_on
    from generate_series(
        greatest(date_trunc('month', since::date), (select date_trunc('month', min(go_live)) from sites)),
        date_trunc('month', as_of::date),
        interval 1 month
    ) as g(m)
    where last_day(g.m::date) < as_of::date
        and last_day(g.m::date) >= since::date
    union
    select as_of::date as evaluated_on;

-- Every evaluation date up to as_of, from the first go-live.
create or replace temp macro all_evaluation_dates(as_of) as table
    select * from evaluation_dates(as_of, date '1900-01-01');

create or replace temp macro flag_history(as_of, since) as table
with cfg as (
    select * from settings
),

site_evaluations as (
    select
        e.evaluated_on,
        s.site_code,
        s.site_name,
        s.go_live,
        s.recruitment_target,
        s.target_date,
        datediff('month', s.go_live, e.evaluated_on)
        - case when (s.go_live + to_months(datediff('month', s.go_live, e.evaluated_on)))::date > e.evaluated_on
            then 1 else 0 end as months_live
    from evaluation_dates(as_of, since) as e
    inner join sites as s
        on s.go_live <= e.evaluated_on
        and (s.withdrawn_on is null or s.withdrawn_on > e.evaluated_on)
),

known as (
    select e.evaluated_on, r.*
    from evaluation_dates(as_of, since) as e
    inner join returns as r
        on r.period_end <= e.evaluated_on
        and (r.submitted_on is null or r.submitted_on <= e.evaluated_on)
    qualify row_number() over (
        partition by e.evaluated_on, r.site_code, r.period_end order by r.return_id desc
    ) = 1
),

current as (
    select
        k.*,
        k.budgets_notional + k.budgets_third_party + k.budgets_direct_payment as budgets_total,
        row_number() over (partition by k.evaluated_on, k.site_code order by k.period_end desc) as recency
    from known as k
    where not k.is_void
),

live_returns as (
    -- returns for months from the go-live month on, newest first
    select
        c.evaluated_on,
        c.site_code,
        c.period_end,
        c.people_recruited,
        row_number() over (partition by c.evaluated_on, c.site_code order by c.period_end desc) as recency
    from current as c
    inner join sites as s on s.site_code = c.site_code
    where c.period_end >= last_day(s.go_live)
),

plateau as (
    select
        evaluated_on,
        site_code,
        count(*) as returns,
        arg_max(people_recruited, period_end) as latest,
        arg_min(people_recruited, period_end) as earliest,
        min(period_end) as first_period,
        max(period_end) as last_period
    from live_returns
    where recency <= (select plateau_returns from cfg)
    group by evaluated_on, site_code
),

summary as (
    select
        evaluated_on,
        site_code,
        arg_max(people_recruited, period_end) as recruited,
        arg_max(budgets_total, period_end) as budgets,
        min(period_end) filter (where people_recruited > 0) as first_recruited_period,
        min(period_end) filter (where budgets_total > 0) as first_budget_period,
        coalesce(sum(spend_care_gbp), 0) as care_to_date,
        coalesce(sum(spend_infrastructure_gbp), 0) as infrastructure_to_date,
        bool_and(spend_care_gbp = 0) filter (where recency <= (select no_care_spend_returns from cfg))
            as no_recent_care_spend
    from current
    group by evaluated_on, site_code
),

due_months as (
    -- the latest `missing_returns_count` months whose returns are due, owed from the go-live month on
    select
        se.evaluated_on,
        se.site_code,
        k.k,
        last_day(date_trunc('month', m.latest_due) - to_months(k.k))::date as period_end
    from site_evaluations as se
    cross join (
        select case
            when day(se.evaluated_on) >= (select return_due_day from cfg)
                then previous_month_end(se.evaluated_on)
            else previous_month_end(previous_month_end(se.evaluated_on))
        end as latest_due
    ) as m
    cross join range(0, greatest(1, (select missing_returns_count from cfg))::bigint) as k(k)
    where last_day(date_trunc('month', m.latest_due) - to_months(k.k))::date >= last_day(se.go_live)
),

due_status as (
    select
        d.evaluated_on,
        d.site_code,
        count(*) as owed,
        count(*) filter (where c.site_code is null) as missing,
        bool_or(d.k = 0 and c.site_code is null) as latest_missing,
        max(d.period_end) filter (where d.k = 0) as latest_due,
        string_agg(strftime(d.period_end, '%b %Y'), ', ' order by d.period_end) as months
    from due_months as d
    left join current as c
        on c.evaluated_on = d.evaluated_on and c.site_code = d.site_code and c.period_end = d.period_end
    group by d.evaluated_on, d.site_code
),

facts as (
    select
        se.*,
        coalesce(sm.recruited, 0) as recruited,
        coalesce(sm.budgets, 0) as budgets,
        sm.site_code is null as no_return,
        sm.first_recruited_period,
        sm.first_budget_period,
        coalesce(sm.care_to_date, 0) as care_to_date,
        coalesce(sm.infrastructure_to_date, 0) as infrastructure_to_date,
        coalesce(sm.no_recent_care_spend, false) as no_recent_care_spend,
        se.recruitment_target * least(
            1.0,
            datediff('day', se.go_live, se.evaluated_on) / greatest(1, datediff('day', se.go_live, se.target_date))
        ) as expected,
        p.returns as plateau_returns,
        p.latest as plateau_latest,
        p.earliest as plateau_earliest,
        p.first_period as plateau_first,
        p.last_period as plateau_last,
        ds.latest_due,
        coalesce(ds.latest_missing, false) as latest_missing,
        coalesce(ds.owed, 0) as owed,
        coalesce(ds.missing, 0) as missing,
        ds.months as missing_months
    from site_evaluations as se
    left join summary as sm using (evaluated_on, site_code)
    left join plateau as p using (evaluated_on, site_code)
    left join due_status as ds using (evaluated_on, site_code)
),

raised as (
    select
        evaluated_on, site_code, site_name, 'NO_RECRUITS' as flag, 'red' as severity,
        format(
            'No one recruited {} months after go-live ({}){}',
            months_live, strftime(go_live, '%b %Y'), case when no_return then '; no return received' else '' end
        ) as reason
    from facts
    where months_live >= (select no_recruits_after_months from cfg) and recruited = 0

    union all
    select
        evaluated_on, site_code, site_name, 'NO_BUDGETS', 'red',
        format(
            '{:,} recruited (first in {}) but no budget of any kind in place',
            recruited, strftime(first_recruited_period, '%b %Y')
        )
    from facts
    where first_recruited_period is not null
        and (first_recruited_period + to_months((select no_budgets_after_months from cfg)))::date <= evaluated_on
        and budgets = 0

    union all
    select
        evaluated_on, site_code, site_name, 'NO_CARE_SPEND', 'red',
        format(
            '{:,} with a budget (first in {}) but nothing spent on care in the last {} returns',
            budgets, strftime(first_budget_period, '%b %Y'), (select no_care_spend_returns from cfg)
        )
    from facts
    where first_budget_period is not null
        and (first_budget_period + to_months((select no_care_spend_after_months from cfg)))::date <= evaluated_on
        and no_recent_care_spend

    union all
    select
        evaluated_on, site_code, site_name, 'BEHIND_TARGET',
        case when recruited < (select behind_target_red_below from cfg) * expected then 'red' else 'amber' end,
        format(
            '{:,} of {:,} recruited; {:,} expected by now ({}%)',
            recruited, recruitment_target, round(expected)::bigint, round(100 * recruited / expected)::bigint
        )
    from facts
    where months_live >= (select behind_target_after_months from cfg)
        and expected > 0
        and recruited < (select behind_target_amber_below from cfg) * expected

    union all
    select
        evaluated_on, site_code, site_name, 'PLATEAU', 'amber',
        format(
            'No rise in people recruited over the last {} returns ({} to {}: {:,} to {:,}); target {:,}',
            plateau_returns, strftime(plateau_first, '%b %Y'), strftime(plateau_last, '%b %Y'),
            plateau_earliest, plateau_latest, recruitment_target
        )
    from facts
    where plateau_returns >= (select plateau_returns from cfg)
        and plateau_latest <= plateau_earliest
        and plateau_latest < recruitment_target

    union all
    select
        evaluated_on, site_code, site_name, 'SET_UP_ONLY', 'amber',
        format(
            '£{:,} spent on infrastructure but £{:,} ({}%) on care',
            round(infrastructure_to_date)::bigint, round(care_to_date)::bigint,
            round(100 * care_to_date / infrastructure_to_date)::bigint
        )
    from facts
    where months_live >= (select set_up_only_after_months from cfg)
        and infrastructure_to_date >= (select set_up_only_min_infrastructure_gbp from cfg)
        and care_to_date < (select set_up_only_max_care_share from cfg) * infrastructure_to_date

    union all
    select
        evaluated_on, site_code, site_name, 'LATE_RETURN', 'amber',
        format(
            'Return for {} not received (due {})',
            strftime(latest_due, '%B %Y'), strftime(due_on(latest_due), '%-d %b %Y')
        )
    from facts
    where latest_missing

    union all
    select
        evaluated_on, site_code, site_name, 'MISSING_RETURNS', 'red',
        format('Last {} returns not received ({}; the latest was due {})',
            missing, missing_months, strftime(due_on(latest_due), '%-d %b %Y'))
    from facts
    where owed = (select missing_returns_count from cfg) and missing = owed
)

select * from raised;

create or replace temp macro flags_now(as_of) as table
    select * from flag_history(as_of, as_of);

-- Every site's status as of a date: Withdrawn from its withdrawal date, Not live
-- before go-live, else Stalled (any red flag), At risk (any amber) or On track.
create or replace temp macro site_statuses(as_of) as table
with raised as (
    select
        site_code,
        count(*) filter (where severity = 'red') as red_flags,
        count(*) filter (where severity = 'amber') as amber_flags,
        string_agg(flag, ', ' order by case severity when 'red' then 0 else 1 end, flag) as flag_names
    from flags_now(as_of)
    group by site_code
)

select
    s.site_code,
    case
        when s.withdrawn_on is not null and s.withdrawn_on <= as_of then 'Withdrawn'
        when s.go_live > as_of then 'Not live'
        when coalesce(r.red_flags, 0) > 0 then 'Stalled'
        when coalesce(r.amber_flags, 0) > 0 then 'At risk'
        else 'On track'
    end as status,
    coalesce(r.red_flags, 0) as red_flags,
    coalesce(r.amber_flags, 0) as amber_flags,
    coalesce(r.flag_names, '') as flag_names
from sites as s
left join raised as r using (site_code);
