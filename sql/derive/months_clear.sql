-- Forget the month states (return_months) of every site-month with a version numbered
-- $first_return_id or later (they are about to be derived again); 0: every row, whatever it is about.
delete from return_months as m
where $first_return_id = 0
    or exists (
        select 1
        from returns as r
        where r.return_id >= $first_return_id
            and r.site_code = m.site_code
            and r.period_end = m.period_end
    )
