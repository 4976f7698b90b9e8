-- Stall flags. flags_between(from_day, to_day, extra_days) evaluates the rules at every
-- month end from from_day to to_day, and on each of extra_days (a list; null: none), each as the returns
-- known on that day stood; one row per flag raised. flags_now(as_of) is the same at as_of
-- alone. flag_history(as_of, since) gives the flags at every month end from `since` up to
-- as_of, and at as_of: month ends come from flag_log (filled by tracker/derived.py with
-- these same rules) as far as it is usable, and are evaluated here beyond that.
-- Each date is judged by the rules and the register entries in effect on it (rule_spans,
-- register_spans: sql/macros/as_of.sql), so a later change never moves an earlier date's flags.
-- Live sites only: a site is evaluated from its go-live until it withdraws.
-- Join conditions compare with coalesce(x, 'infinity') rather than `x is null or x > y`:
-- DuckDB 1.5 plans a join on such an `or` as a nested loop (quadratic: the flag-log fill took
-- 15 s instead of 0.3 s at 1,000 sites); the coalesce gives a range join on every version.

create or replace temp macro evaluation_days(from_day, to_day, extra_days) as table
    select last_day(g.m::date) as evaluated_on
    from generate_series(
        greatest(date_trunc('month', from_day::date), (select date_trunc('month', min(go_live)) from site_versions)),
        date_trunc('month', to_day::date),
        interval 1 month
    ) as g(m)
    where last_day(g.m::date) between from_day::date and to_day::date
    union
    select unnest(coalesce(extra_days, []))::date as evaluated_on;

create or replace temp macro flags_between(from_day, to_day, extra_days) as table
with site_evaluations as (
    select
        e.evaluated_on,
        s.site_code,
        s.site_name,
        s.go_live,
        s.recruitment_target,
        s.target_date,
        datediff('month', s.go_live, e.evaluated_on)
        - case when (s.go_live + to_months(datediff('month', s.go_live, e.evaluated_on)))::date > e.evaluated_on
            then 1 else 0 end as months_live,
        -- the latest month whose return is due (after the programme's window: its last month)
        least(
            case
                when day(e.evaluated_on) >= cfg.return_due_day then previous_month_end(e.evaluated_on)
                else previous_month_end(previous_month_end(e.evaluated_on))
            end,
            last_day(cfg.programme_end)
        ) as latest_due,
        cfg.* exclude (valid_from, valid_until)
    from evaluation_days(from_day, to_day, extra_days) as e
    inner join register_spans() as s
        on s.valid_from <= e.evaluated_on
        and s.valid_until > e.evaluated_on
        and s.go_live <= e.evaluated_on
        and coalesce(s.withdrawn_on, 'infinity'::date) > e.evaluated_on
    inner join rule_spans() as cfg
        on cfg.valid_from <= e.evaluated_on
        and cfg.valid_until > e.evaluated_on
),

site_evaluations_due as (
    -- the latest `missing_returns_count` months whose returns are due, owed from the go-live month on
    select
        se.* exclude (latest_due),
        list_filter(
            list_transform(
                range(0, greatest(1, se.missing_returns_count)::bigint),
                lambda k: last_day(date_trunc('month', se.latest_due) - to_months(k))::date
            ),
            lambda m: m >= last_day(se.go_live)
        ) as owed_months
    from site_evaluations as se
),

site_facts_during as (
    -- the facts rows valid on any of the evaluation dates (a cheap filter before the join)
    select f.*
    from site_facts as f
    where f.valid_from <= greatest(to_day::date, list_max(extra_days)::date)
        and (f.valid_until is null or f.valid_until > least(from_day::date, list_min(extra_days)::date))
),

owed_received as (
    -- which of the owed months' returns count on the evaluation date
    select
        o.evaluated_on,
        o.site_code,
        list(o.period_end) as months
    from (
        select evaluated_on, site_code, unnest(owed_months) as period_end from site_evaluations_due
    ) as o
    inner join returns as r
        on r.site_code = o.site_code
        and r.period_end = o.period_end
        and r.known_from <= o.evaluated_on
        and coalesce(r.superseded_from, 'infinity'::date) > o.evaluated_on
    where not r.is_void
    group by o.evaluated_on, o.site_code
),

facts as (
    select
        se.*,
        coalesce(f.people_recruited, 0) as recruited,
        coalesce(f.budgets_total, 0) as budgets,
        coalesce(f.returns_known, 0) = 0 as no_return,
        f.first_recruited_period,
        f.first_budget_period,
        coalesce(f.spend_care_to_date_gbp, 0)::double as care_to_date,
        coalesce(f.spend_infrastructure_to_date_gbp, 0)::double as infrastructure_to_date,
        f.recent_care[1:se.no_care_spend_returns] as recent_care,
        se.recruitment_target * least(
            1.0,
            datediff('day', se.go_live, se.evaluated_on) / greatest(1, datediff('day', se.go_live, se.target_date))
        ) as expected,
        f.live_recruited[1:se.plateau_returns] as plateau_counts,
        f.live_periods[1:se.plateau_returns] as plateau_periods,
        se.owed_months[1] as latest_owed,
        coalesce(r.months, []) as received_months
    from site_evaluations_due as se
    left join site_facts_during as f
        on f.site_code = se.site_code
        and f.valid_from <= se.evaluated_on
        and coalesce(f.valid_until, 'infinity'::date) > se.evaluated_on
    left join owed_received as r on r.evaluated_on = se.evaluated_on and r.site_code = se.site_code
),

raised as (
    -- each rule gives a flag or nothing; one pass over the facts
    select
        evaluated_on,
        site_code,
        site_name,
        unnest(list_filter([
            case when months_live >= no_recruits_after_months and recruited = 0 then {
                'flag': 'NO_RECRUITS', 'severity': 'red',
                'reason': format(
                    'No one recruited {} months after go-live ({}){}',
                    months_live, strftime(go_live, '%b %Y'),
                    case when no_return then '; no return received' else '' end
                )
            } end,
            case when first_recruited_period is not null
                and (first_recruited_period + to_months(no_budgets_after_months))::date <= evaluated_on
                and budgets = 0 then {
                'flag': 'NO_BUDGETS', 'severity': 'red',
                'reason': format(
                    '{:,} recruited (first in {}) but no budget of any kind in place',
                    recruited, strftime(first_recruited_period, '%b %Y')
                )
            } end,
            case when first_budget_period is not null
                and (first_budget_period + to_months(no_care_spend_after_months))::date <= evaluated_on
                and list_count(recent_care) > 0
                and list_count(list_filter(recent_care, lambda x: x <> 0)) = 0 then {
                'flag': 'NO_CARE_SPEND', 'severity': 'red',
                'reason': format(
                    '{:,} with a budget (first in {}) but nothing spent on care in the last {} returns',
                    budgets, strftime(first_budget_period, '%b %Y'), no_care_spend_returns
                )
            } end,
            case when months_live >= behind_target_after_months
                and expected > 0
                and recruited < behind_target_amber_below * expected then {
                'flag': 'BEHIND_TARGET',
                'severity': case when recruited < behind_target_red_below * expected then 'red' else 'amber' end,
                'reason': format(
                    '{:,} of {:,} recruited; {:,} expected by now ({}%)',
                    recruited, recruitment_target, round(expected)::bigint, round(100 * recruited / expected)::bigint
                )
            } end,
            case when len(plateau_counts) >= plateau_returns
                and plateau_counts[1] <= list_last(plateau_counts)
                and plateau_counts[1] < recruitment_target then {
                'flag': 'PLATEAU', 'severity': 'amber',
                'reason': format(
                    'No rise in people recruited over the last {} returns ({} to {}: {:,} to {:,}); target {:,}',
                    len(plateau_counts), strftime(list_last(plateau_periods), '%b %Y'),
                    strftime(plateau_periods[1], '%b %Y'), list_last(plateau_counts), plateau_counts[1],
                    recruitment_target
                )
            } end,
            case when months_live >= set_up_only_after_months
                and infrastructure_to_date >= set_up_only_min_infrastructure_gbp
                and care_to_date < set_up_only_max_care_share * infrastructure_to_date then {
                'flag': 'SET_UP_ONLY', 'severity': 'amber',
                'reason': format(
                    '£{:,} spent on infrastructure but £{:,} ({}%) on care',
                    round(infrastructure_to_date)::bigint, round(care_to_date)::bigint,
                    round(100 * care_to_date / infrastructure_to_date)::bigint
                )
            } end,
            case when latest_owed is not null and not list_contains(received_months, latest_owed) then {
                'flag': 'LATE_RETURN', 'severity': 'amber',
                'reason': format(
                    'Return for {} not received (due {})',
                    strftime(latest_owed, '%B %Y'), strftime(due_on(latest_owed, return_due_day), '%-d %b %Y')
                )
            } end,
            case when len(owed_months) = missing_returns_count and len(received_months) = 0 then {
                'flag': 'MISSING_RETURNS', 'severity': 'red',
                'reason': format(
                    'Last {} returns not received ({}; the latest was due {})',
                    len(owed_months),
                    array_to_string(list_transform(list_sort(owed_months), lambda m: strftime(m, '%b %Y')), ', '),
                    strftime(due_on(latest_owed, return_due_day), '%-d %b %Y')
                )
            } end
        ], lambda x: x is not null), recursive := true)
    from facts
)

select evaluated_on, site_code, site_name, flag, severity, reason from raised;

-- The flags on each of a list of days (one pass, however many days a page asks about).
create or replace temp macro flags_at(days) as table
    select * from flags_between(list_min(days), list_min(days), days);

-- The flags raised at every month end from `since` to `until`: from the log where it is usable, and
-- beyond it by flags_at (so a connection whose days are judged first reads them from its memo, which
-- judges the month ends a query's as_of needs beyond the log: tracker/judged.py).
create or replace temp macro flag_month_ends(since, until) as table
    select l.evaluated_on, l.site_code, s.site_name, l.flag, l.severity, l.reason
    from flag_log as l
    inner join register_spans() as s
        on s.site_code = l.site_code
        and s.valid_from <= l.evaluated_on
        and s.valid_until > l.evaluated_on
    where l.evaluated_on >= since::date
        and l.evaluated_on <= until::date
        and l.evaluated_on <= (select usable_through from flag_log_state)
    union all
    select * from flags_at((
        select coalesce(list(evaluated_on), [])
        from evaluation_days(greatest(since::date, (select usable_through from flag_log_state) + 1), until, null)
    ));

-- The flags on each of a list of days, judged afresh, and a row with no site for each day (so that a
-- day with no flag raised is told apart from a day never judged): what tracker/judged.py's memo
-- holds, and what a write keeps for the days a first visit reads (first_visit_flags).
create or replace temp macro judged_days(days) as table
    select evaluated_on, site_code, site_name, flag, severity, reason
    from flags_between(list_min(days::date[]), list_min(days::date[]), days::date[])
    union all
    select unnest(days::date[]) as evaluated_on, null, null, null, null, null;

create or replace temp macro flags_now(as_of) as table
    select * from flags_at([as_of::date]);

create or replace temp macro flag_history(as_of, since) as table
    select * from flag_month_ends(since, as_of::date - 1)
    union all
    select * from flags_now(as_of);

-- Every site's status on each of a list of days (`as_of`: the day): Withdrawn from its withdrawal
-- date, Not live before go-live, else Stalled (any red flag), At risk (any amber) or On track; with
-- its flags' names and the reason of the most telling one. site_statuses(as_of): one day.
create or replace temp macro site_statuses_at(days) as table
with raised as (
    select
        evaluated_on,
        site_code,
        count(*) filter (where severity = 'red') as red_flags,
        count(*) filter (where severity = 'amber') as amber_flags,
        string_agg(flag, ', ' order by case severity when 'red' then 0 else 1 end, flag) as flag_names,
        -- the most telling reason: a red flag before an amber one, BEHIND_TARGET (a share says it) last
        arg_min(
            reason,
            (case severity when 'red' then 0 else 1 end) * 10 + (case flag when 'BEHIND_TARGET' then 1 else 0 end)
        ) as top_reason
    from flags_at(days)
    group by evaluated_on, site_code
)

select
    d.as_of,
    s.site_code,
    case
        when s.withdrawn_on is not null and s.withdrawn_on <= d.as_of then 'Withdrawn'
        when s.go_live > d.as_of then 'Not live'
        when coalesce(r.red_flags, 0) > 0 then 'Stalled'
        when coalesce(r.amber_flags, 0) > 0 then 'At risk'
        else 'On track'
    end as status,
    coalesce(r.red_flags, 0) as red_flags,
    coalesce(r.amber_flags, 0) as amber_flags,
    coalesce(r.flag_names, '') as flag_names,
    coalesce(r.top_reason, '') as top_reason
from (select distinct unnest(days)::date as as_of) as d
inner join site_version_spans as s on s.valid_from <= d.as_of and s.valid_until > d.as_of
left join raised as r on r.evaluated_on = d.as_of and r.site_code = s.site_code;

create or replace temp macro site_statuses(as_of) as table
    select * exclude (as_of) from site_statuses_at([as_of::date]);
