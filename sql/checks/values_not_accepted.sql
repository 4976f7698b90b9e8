-- Integrity: values outside the accepted sets of the load log and the register.
select 'load_log.kind' as column_name, kind as value from load_log
where kind not in ('returns', 'register', 'rules', 'void')
union all
select 'load_log.outcome', outcome from load_log
where outcome not in ('accepted', 'refused', 'already loaded')
union all
select 'site_versions.cohort', cohort from site_versions
where cohort not in ('in-depth', 'wider')
